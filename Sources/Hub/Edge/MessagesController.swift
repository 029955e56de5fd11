import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Outbox

/// `POST /v1/messages` and `GET /v1/messages/{id}`.
struct MessagesController: Sendable {
    let writer: OutboxWriter
    let store: OutboxStore
    let router: MessageRouter
    let maxBody: Int

    func register(on group: RouterGroup<HubRequestContext>) {
        group.post("messages", use: accept)
        group.get("messages/{id}", use: show)
    }

    @Sendable func accept(_ request: Request, context: HubRequestContext) async throws -> Response {
        let principal = try context.require(.ingest)
        let body = try await request.collectBody(upTo: maxBody)
        let parsed = try MessageRequest(body: body.readableBytesView)
        let idempotencyKey = try Self.idempotencyKey(of: request)
        let message = CanonicalMessage(
            source: parsed.source ?? principal.name, type: parsed.type, subject: parsed.subject, time: parsed.time,
            data: parsed.data, idempotencyKey: idempotencyKey, correlationId: context.correlationId
        )
        let submission = Submission(
            message: message, destinations: router.destinations(for: message),
            dedup: idempotencyKey.map { DedupKey(scope: "token:\(principal.name)", key: $0) }
        )
        let (view, replayed) = try await AcceptedView.of(try await writer.submit(submission), store: store)
        if replayed {
            return JSONBody.response(status: .ok, json: view.json, headers: [.idempotentReplayed: "true"])
        }
        context.logger.debug("accepted", metadata: ["hub.message.id": "\(view.id)"])
        return JSONBody.response(status: .accepted, json: view.json)
    }

    @Sendable func show(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let id = try context.uuidParameter("id")
        guard let record = try await store.message(id: id) else {
            throw APIError.notFound("no message with id \(id.lowercasedString)")
        }
        return try JSONBody.response(status: .ok, MessageView(record))
    }

    static func idempotencyKey(of request: Request) throws -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard !key.isEmpty, key.count <= 255, key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) else {
            throw APIError.invalidField("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters")
        }
        return key
    }
}
