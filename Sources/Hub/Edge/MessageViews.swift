import Foundation
import Outbox

/// `{"id", "deliveries": [{"destination", "status"}]}`: the answer to an accepted message.
struct AcceptedView: Encodable {
    struct Delivery: Encodable {
        var id: String
        var destination: String
        var status: String
    }
    var id: String
    var deliveries: [Delivery]

    init(id: UUID, deliveries: [(id: UUID, destination: String, status: DeliveryStatus)]) {
        self.id = id.lowercasedString
        self.deliveries = deliveries.map {
            Delivery(id: $0.id.lowercasedString, destination: $0.destination, status: $0.status.rawValue)
        }
    }

    /// The view as JSONEncoder with sorted keys writes it (a test holds the two together),
    /// assembled directly: it answers every ingest request.
    var json: String {
        var text = "{\"deliveries\":["
        for (index, delivery) in deliveries.enumerated() {
            text += index == 0 ? "{" : ",{"
            JSONText.appendMember("destination", delivery.destination, to: &text)
            JSONText.appendMember("id", delivery.id, to: &text)
            JSONText.appendMember("status", delivery.status, to: &text)
            text += "}"
        }
        text += "]"
        JSONText.appendMember("id", id, to: &text)
        return text + "}"
    }

    /// A new message with its deliveries as committed (pending, or delivering when this hub's
    /// relay took them at once), or a repeat (`replayed`) with the original's
    /// deliveries as they stand now.
    static func of(_ result: AcceptResult, store: OutboxStore) async throws -> (view: AcceptedView, replayed: Bool) {
        switch result {
        case .accepted(let id, let deliveries):
            let queued = deliveries.map { (id: $0.id, destination: $0.destination, status: $0.status) }
            return (AcceptedView(id: id, deliveries: queued), false)
        case .duplicate(let originalId):
            let current = try await store.deliveries(ofMessage: originalId).map {
                (id: $0.id, destination: $0.destination, status: $0.status)
            }
            return (AcceptedView(id: originalId, deliveries: current), true)
        }
    }
}

/// A stored message with its deliveries, as `GET /v1/messages/{id}` shows it.
struct MessageView: Encodable {
    struct Attempt: Encodable {
        var attempt: Int
        var started_at: String
        var duration_ms: Int
        var outcome: String
        var http_status: Int?
        var error: String?
        var response_excerpt: String?
    }

    struct Delivery: Encodable {
        var id: String
        var destination: String
        var status: String
        var attempts: Int
        var next_attempt_at: String?
        var last_error: String?
        var created_at: String
        var delivered_at: String?
        var attempt_log: [Attempt]
    }

    var id: String
    var source: String
    var type: String
    var subject: String?
    var time: String
    var datacontenttype: String
    var data: JSONValue
    var idempotency_key: String?
    var content_hash: String
    var received_at: String
    var correlation_id: String?
    /// What the sender sent, for sources that keep it (webhooks): headers minus credentials.
    var inbound: Inbound?
    var deliveries: [Delivery]

    struct Inbound: Encodable {
        var headers: [String: String]
        var body: String
        var redacted: Bool
    }

    init(_ record: MessageRecord) {
        let message = record.message
        id = message.id.lowercasedString
        source = message.source
        type = message.type
        subject = message.subject
        time = Timestamp.format(message.time)
        datacontenttype = message.dataContentType
        data = JSONValue(parsing: message.data) ?? .null
        idempotency_key = message.idempotencyKey
        content_hash = message.contentHash
        received_at = Timestamp.format(message.receivedAt)
        correlation_id = message.correlationId
        inbound = record.inbound.map { Inbound(headers: $0.headers, body: $0.body, redacted: $0.redacted) }
        deliveries = record.deliveries.map(Delivery.init)
    }
}

extension MessageView.Delivery {
    init(_ record: DeliveryRecord) {
        id = record.id.lowercasedString
        destination = record.destination
        status = record.status.rawValue
        attempts = record.attempts
        next_attempt_at = record.nextAttemptAt.map(Timestamp.format)
        last_error = record.lastError
        created_at = Timestamp.format(record.createdAt)
        delivered_at = record.deliveredAt.map(Timestamp.format)
        attempt_log = record.attemptLog.map {
            MessageView.Attempt(
                attempt: $0.attempt, started_at: Timestamp.format($0.startedAt), duration_ms: $0.durationMilliseconds,
                outcome: $0.outcome, http_status: $0.httpStatus, error: $0.error, response_excerpt: $0.responseExcerpt
            )
        }
    }
}

extension UUID {
    var lowercasedString: String { uuidString.lowercased() }
}
