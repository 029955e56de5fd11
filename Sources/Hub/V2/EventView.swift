import Foundation
import Outbox

/// A stored message as `/v2` shows it: a CloudEvents 1.0 structured event whose `id` is Hub's
/// message id (the same id deliveries and `/v1` use), with Hub's extension attributes:
/// `idempotencykey` (the sender's event id, for /v2 events the CloudEvent `id` they came with),
/// `correlationid`, `receivedat` and `deliveries` (each delivery's state, as `/v1` shows it).
/// Non-JSON data is shown as `data_base64`.
struct EventView: Encodable {
    var message: CanonicalMessage
    var deliveries: [MessageView.Delivery]

    init(_ record: MessageRecord) {
        message = record.message
        deliveries = record.deliveries.map(MessageView.Delivery.init)
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        if case .object(let extensions) = message.extensions.flatMap({ JSONValue(parsing: $0) }) {
            for (name, value) in extensions { try container.encode(value, forKey: Key(name)) }
        }
        try container.encode("1.0", forKey: Key("specversion"))
        try container.encode(message.id.lowercasedString, forKey: Key("id"))
        try container.encode(message.source, forKey: Key("source"))
        try container.encode(message.type, forKey: Key("type"))
        try container.encodeIfPresent(message.subject, forKey: Key("subject"))
        try container.encode(Timestamp.format(message.time), forKey: Key("time"))
        try container.encode(message.dataContentType, forKey: Key("datacontenttype"))
        let data = JSONValue(parsing: message.data) ?? .null
        if !CloudEvent.isJSON(message.dataContentType), case .string(let base64) = data {
            try container.encode(base64, forKey: Key("data_base64"))
        } else if data != .null {
            try container.encode(data, forKey: Key("data"))
        }
        try container.encodeIfPresent(message.idempotencyKey, forKey: Key("idempotencykey"))
        try container.encodeIfPresent(message.correlationId, forKey: Key("correlationid"))
        try container.encode(Timestamp.format(message.receivedAt), forKey: Key("receivedat"))
        try container.encode(deliveries, forKey: Key("deliveries"))
    }
}

/// `{"events": [...], "next_cursor", "has_more"}`: one page of `GET /v2/events`.
struct EventPage: Encodable {
    var events: [EventView]
    /// Where the next page starts; present whenever a position is known, so a consumer at the
    /// end keeps polling with it and sees only what arrived since.
    var next_cursor: String?
    var has_more: Bool
}

/// The opaque position in `GET /v2/events`: the last id handed out, base64url-encoded.
enum EventCursor {
    static func encode(_ id: UUID) -> String {
        withUnsafeBytes(of: id.uuid) { Base64URL.encode($0) }
    }

    static func decode(_ text: String) -> UUID? {
        guard let bytes = Base64URL.decode(text), bytes.count == 16 else { return nil }
        let b = Array(bytes)
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}
