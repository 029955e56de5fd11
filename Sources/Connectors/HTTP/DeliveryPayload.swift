import Foundation
import Outbox

/// The body Hub POSTs: the message as a CloudEvents 1.0 structured JSON event, its `data` the
/// stored canonical JSON, spliced in as is (it is already JSON; decoding and re-encoding it
/// per delivery would cost more than the rest of the request). Extension attributes of an event
/// that came in through `/v2` are attributes of the delivered event too.
enum DeliveryPayload {
    private struct Envelope: Encodable {
        var specversion = "1.0"
        var id: String
        var source: String
        var type: String
        var subject: String?
        var time: String
        var datacontenttype: String
        var correlationid: String?
    }

    /// Shared: JSONEncoder is safe to use from several tasks, and making one per delivery shows in profiles.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()

    static func render(_ message: CanonicalMessage) -> String {
        let envelope = Envelope(
            id: message.id.uuidString.lowercased(), source: message.source, type: message.type,
            subject: message.subject, time: Timestamp.format(message.time), datacontenttype: message.dataContentType,
            correlationid: message.correlationId
        )
        // Encoding plain strings cannot fail; the object always ends in "}".
        var text = String(decoding: (try? encoder.encode(envelope)) ?? Data("{}".utf8), as: UTF8.self)
        text.removeLast()
        // Extension attributes (from /v2) travel as attributes of their own, spliced in the same way.
        if let extensions = message.extensions, extensions.count > 2 {
            text += (text.count > 1 ? "," : "") + extensions.dropFirst().dropLast()
        }
        return text + (text.count > 1 ? "," : "") + "\"data\":" + message.data + "}"
    }
}
