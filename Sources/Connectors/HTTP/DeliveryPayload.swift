import Foundation
import Outbox

/// The body Hub POSTs: the message as a CloudEvents 1.0 structured JSON event, its `data` the
/// stored canonical JSON, spliced in as is (it is already JSON; decoding and re-encoding it
/// per delivery would cost more than the rest of the request). Extension attributes of an event
/// that came in through `/v2` are attributes of the delivered event too.
enum DeliveryPayload {
    /// Shared: JSONEncoder is safe to use from several tasks, and making one per delivery shows in profiles.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()

    static func render(_ message: CanonicalMessage) -> String {
        // The attributes in CloudEvents' order, absent optional ones left out (as JSONEncoder did
        // when this was an Encodable struct, which took a tenth of the relay's CPU per delivery).
        var text = "{\"specversion\":\"1.0\""
        text.reserveCapacity(message.data.utf8.count + 320)
        append("id", message.id.uuidString.lowercased(), to: &text)
        append("source", message.source, to: &text)
        append("type", message.type, to: &text)
        if let subject = message.subject { append("subject", subject, to: &text) }
        append("time", Timestamp.format(message.time), to: &text)
        append("datacontenttype", message.dataContentType, to: &text)
        if let correlation = message.correlationId { append("correlationid", correlation, to: &text) }
        // Extension attributes (from /v2) travel as attributes of their own, spliced in the same way.
        if let extensions = message.extensions, extensions.count > 2 {
            text += "," + extensions.dropFirst().dropLast()
        }
        return text + ",\"data\":" + message.data + "}"
    }

    /// `,"name":"value"`. A value with nothing to escape (the usual case: ids, types, times) is
    /// copied as is; any other goes through JSONEncoder, so escaping stays JSONEncoder's.
    private static func append(_ name: String, _ value: String, to text: inout String) {
        text += ",\"" + name + "\":"
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            text += "\"" + value + "\""
        } else {
            text += String(decoding: (try? encoder.encode(value)) ?? Data("\"\"".utf8), as: UTF8.self)
        }
    }
}
