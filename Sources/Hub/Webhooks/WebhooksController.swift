import Foundation
import HTTPTypes
import Hummingbird
import Outbox

/// `POST /v1/webhooks/{source}`: verify on the raw bytes, deduplicate on the vendor's event id,
/// map the payload to a canonical message, and answer once it is committed. Vendors
/// authenticate by signature, not by bearer token.
struct WebhooksController: Sendable {
    struct Source: Sendable {
        var config: SourceConfig
        var counters: WebhookOutcomeCounters
        /// Header names its raw copies leave out.
        var droppedHeaders: Set<String>
    }

    let writer: OutboxWriter
    let router: MessageRouter
    let sources: [String: Source]
    let maxBody: Int

    init(writer: OutboxWriter, router: MessageRouter, sources: [SourceConfig], maxBody: Int) {
        self.writer = writer
        self.router = router
        self.maxBody = maxBody
        self.sources = Dictionary(uniqueKeysWithValues: sources.map {
            ($0.name, Source(
                config: $0, counters: WebhookOutcomeCounters(source: $0.name),
                droppedHeaders: InboundRecord.droppedNames(secretHeaders: $0.verifier.secretHeaders)
            ))
        })
    }

    func register(on router: Router<HubRequestContext>) {
        router.post("v1/webhooks/{source}", use: receive)
    }

    @Sendable func receive(_ request: Request, context: HubRequestContext) async throws -> Response {
        let name = context.parameters.get("source") ?? ""
        guard let source = sources[name] else { throw APIError.notFound("no webhook source named '\(name)'") }
        var logger = context.logger
        logger[metadataKey: "hub.source"] = "\(name)"
        let inbound: InboundRequest
        do {
            inbound = try await request.verifiedBody(upTo: maxBody, verifier: source.config.verifier, logger: logger)
        } catch let error as APIError where error.status == .unauthorized {
            source.counters.refused.increment()
            throw error
        }
        let submission: Submission
        do {
            submission = try prepare(inbound, from: source, correlationId: context.correlationId)
        } catch {
            source.counters.invalid.increment()
            throw error
        }
        let result: AcceptResult
        do {
            result = try await writer.submit(submission)
        } catch {
            source.counters.unavailable.increment()
            throw error
        }
        switch result {
        case .accepted(let id, _):
            source.counters.accepted.increment()
            logger.debug("webhook accepted", metadata: ["hub.message.id": "\(id)"])
        case .duplicate:
            source.counters.duplicate.increment()
        }
        return try JSONBody.acceptance(result, idKey: "id")
    }

    /// The verified request as a submission: parsed, mapped, keyed for dedup, raw copy attached.
    private func prepare(_ inbound: InboundRequest, from entry: Source, correlationId: String) throws -> Submission {
        let source = entry.config
        let payload = try inbound.json()
        let eventId = try Self.eventId(source.dedup, headers: inbound.headers, payload: payload)
        let mapped = try source.mapping.map(payload)
        let message = CanonicalMessage(
            source: source.name, type: mapped.type, subject: mapped.subject, time: mapped.time, data: mapped.data,
            idempotencyKey: eventId, correlationId: correlationId
        )
        let raw = InboundRecord(
            headers: inbound.headers, dropping: entry.droppedHeaders,
            body: mapped.redactedPayload?.canonicalText ?? String(decoding: inbound.body, as: UTF8.self),
            redacted: mapped.redactedPayload != nil
        )
        return Submission(
            message: message, destinations: router.destinations(for: message),
            dedup: eventId.map { DedupKey(scope: "webhook:\(source.name)", key: $0) }, inbound: raw
        )
    }

    /// The vendor's id for this event; a configured rule that finds none is the vendor's error.
    private static func eventId(_ rule: DedupRule?, headers: HTTPFields, payload: JSONValue) throws -> String? {
        let found: String?, field: String
        switch rule {
        case nil: return nil
        case .header(let name):
            found = HTTPField.Name(name).flatMap { headers[$0] }
            field = name
        case .pointer(let pointer):
            found = payload.resolve(pointer)?.scalarText
            field = pointer.description
        }
        guard let found, !found.isEmpty else {
            throw APIError.invalidField(field, "\(field) is required: it identifies the event so retries are not stored twice")
        }
        guard found.utf8.count <= 255 else { throw APIError.invalidField(field, "\(field) is longer than 255 bytes") }
        // Postgres text cannot hold NUL; refused here, it cannot fail the batch it would commit with.
        guard !found.utf8.contains(0) else { throw APIError.invalidField(field, "\(field) must not contain NUL") }
        return found
    }
}
