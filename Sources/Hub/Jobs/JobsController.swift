import Foundation
import Hummingbird
import Outbox

/// `POST /v1/jobs` hands a vendor a job; `GET /v1/jobs/{id}` polls it. A job is a message whose
/// deliveries to vendor destinations (`mode: sync | async`) carry its result back.
struct JobsController: Sendable {
    static let defaultType = "job.requested"

    let writer: OutboxWriter
    let store: OutboxStore
    let router: MessageRouter
    /// Vendor destinations by name.
    let vendors: [String: JobMode]
    let maxBody: Int

    func register(on group: RouterGroup<HubRequestContext>) {
        group.post("jobs", use: create)
        group.get("jobs/{id}", use: show)
    }

    @Sendable func create(_ request: Request, context: HubRequestContext) async throws -> Response {
        let principal = try context.require(.ingest)
        let body = try await request.collectBody(upTo: maxBody)
        guard let payload = JSONValue(parsing: Data(body.readableBytesView)) else {
            throw APIError.malformed("the body is not valid JSON")
        }
        let type = request.uri.queryParameters.get("type") ?? Self.defaultType
        guard type.count <= 256, !type.isEmpty, type.allSatisfy(MessageRequest.isTypeCharacter) else {
            throw APIError.invalidField("type", "type may hold only letters, digits and . _ - : / (at most 256)")
        }
        let idempotencyKey = try MessagesController.idempotencyKey(of: request)
        let message = CanonicalMessage(
            source: principal.name, type: type, data: payload, idempotencyKey: idempotencyKey,
            correlationId: context.correlationId
        )
        let destinations = router.destinations(for: message)
        let jobVendors = vendors.filter { destinations.contains($0.key) }
        guard !jobVendors.isEmpty else {
            throw APIError(
                status: .unprocessableContent, code: "no_vendor",
                message: "no vendor destination (mode: sync or async) is routed messages of type '\(type)'; add a route",
                field: "type"
            )
        }
        let submission = Submission(
            message: message, destinations: destinations,
            // Its own scope: a key once used for a message must not make a job answer with that message.
            dedup: idempotencyKey.map { DedupKey(scope: "jobs:token:\(principal.name)", key: $0) }, jobVendors: jobVendors
        )
        return try JSONBody.acceptance(try await writer.submit(submission), idKey: "request_id")
    }

    @Sendable func show(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let id = try context.uuidParameter("id")
        guard let job = try await store.job(id: id) else { throw APIError.notFound("no job with id \(id.lowercasedString)") }
        return try JSONBody.response(status: .ok, JobView(job))
    }
}
