import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Outbox

/// `POST /v2/events` (structured, binary and batch CloudEvents), `GET /v2/events` (cursor pages)
/// and `GET /v2/events/{id}`. The same store and routes as `/v1`: both versions serve the same data.
struct EventsController: Sendable {
    static let structured = "application/cloudevents+json"
    static let batch = "application/cloudevents-batch+json"
    /// Most events one batch may carry (it also has to fit `server.max_body`).
    static let maxBatch = 1000

    let writer: OutboxWriter
    let store: OutboxStore
    let router: MessageRouter
    let maxBody: Int

    func register(on group: RouterGroup<HubRequestContext>) {
        group.post("events", use: accept)
        group.get("events", use: list)
        group.get("events/{id}", use: show)
    }

    @Sendable func accept(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.ingest)
        let contentType = request.headers[.contentType]
        let mediaType = contentType.map(Self.mediaType) ?? ""
        let body = Data(try await request.collectBody(upTo: maxBody).readableBytesView)
        if mediaType == Self.batch {
            return try await acceptBatch(body, context: context)
        }
        let event: CloudEvent
        if mediaType == Self.structured {
            event = try CloudEvent(structured: try Self.object(Self.document(body)))
        } else if request.headers[values: HTTPField.Name("ce-specversion")!].isEmpty {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message: "send \(Self.structured), \(Self.batch), or binary mode with ce-* headers", field: "Content-Type"
            )
        } else {
            event = try CloudEvent(
                headers: request.headers.map { (name: $0.name.canonicalName, value: $0.value) }, contentType: contentType, body: body
            )
        }
        let result = try await writer.submit(submission(for: event, context: context))
        let (view, replayed) = try await AcceptedView.of(result, store: store)
        if replayed { return JSONBody.response(status: .ok, json: view.json, headers: [.idempotentReplayed: "true"]) }
        return JSONBody.response(status: .accepted, json: view.json)
    }

    /// Every event is checked before any is stored, then all commit in one transaction.
    private func acceptBatch(_ body: Data, context: HubRequestContext) async throws -> Response {
        guard case .array(let elements) = try Self.document(body) else {
            throw APIError.malformed("a batch must be a JSON array of CloudEvents")
        }
        guard !elements.isEmpty else { throw APIError.malformed("the batch is empty") }
        guard elements.count <= Self.maxBatch else {
            throw APIError.malformed("a batch carries at most \(Self.maxBatch) events (got \(elements.count))")
        }
        let submissions = try elements.enumerated().map { index, element in
            guard case .object(let members) = element else {
                throw APIError.invalidField("[\(index)]", "batch element \(index) is not a JSON object")
            }
            return submission(for: try CloudEvent(structured: members, fieldPrefix: "[\(index)]."), context: context)
        }
        var views: [BatchItem] = []
        for result in try await writer.submitTogether(submissions) {
            let (view, replayed) = try await AcceptedView.of(result, store: store)
            views.append(BatchItem(id: view.id, deliveries: view.deliveries, replayed: replayed))
        }
        return try JSONBody.response(status: .accepted, ["events": views])
    }

    /// One element of a batch's answer: a repeat of an earlier event id is `replayed`.
    struct BatchItem: Encodable {
        var id: String
        var deliveries: [AcceptedView.Delivery]
        var replayed: Bool
    }

    private func submission(for event: CloudEvent, context: HubRequestContext) -> Submission {
        let message = event.message(correlationId: context.correlationId)
        return Submission(message: message, destinations: router.destinations(for: message), dedup: event.dedupKey)
    }

    @Sendable func show(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let id = try context.uuidParameter("id")
        guard let record = try await store.message(id: id) else {
            throw APIError.notFound("no event with id \(id.lowercasedString)")
        }
        return try Self.cloudEvent(status: .ok, EventView(record))
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query["limit"] {
            guard let parsed = Int(String(text)), (1...500).contains(parsed) else {
                throw APIError.invalidField("limit", "limit must be an integer from 1 to 500")
            }
            limit = parsed
        }
        var after: UUID?
        if let text = query["cursor"] {
            guard let id = EventCursor.decode(String(text)) else {
                throw APIError.invalidField("cursor", "cursor is not one this API handed out (use next_cursor as given)")
            }
            after = id
        }
        let records = try await store.messages(after: after, limit: limit + 1)
        let page = Array(records.prefix(limit))
        let last = page.last?.message.id ?? after
        return try JSONBody.response(status: .ok, EventPage(
            events: page.map(EventView.init), next_cursor: last.map(EventCursor.encode), has_more: records.count > limit
        ))
    }

    private static func cloudEvent(status: HTTPResponse.Status, _ view: EventView) throws -> Response {
        var response = try JSONBody.response(status: status, view)
        response.headers[.contentType] = structured
        return response
    }

    /// The media type without parameters, lowercased.
    static func mediaType(_ contentType: String) -> String {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    private static func document(_ body: Data) throws -> JSONValue {
        guard !body.isEmpty else { throw APIError.malformed("the body is empty; expected a CloudEvent") }
        guard let document = JSONValue(parsing: body) else { throw APIError.malformed("the body is not valid JSON") }
        return document
    }

    private static func object(_ document: JSONValue) throws -> [String: JSONValue] {
        guard case .object(let members) = document else { throw APIError.malformed("a CloudEvent must be a JSON object") }
        return members
    }
}
