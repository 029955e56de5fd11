import Foundation
import Outbox

/// The body Hub POSTs: the message as a CloudEvents 1.0 structured JSON event, its `data` the
/// stored canonical JSON, spliced in as is (it is already JSON; decoding and re-encoding it
/// per delivery would cost more than the rest of the request). Extension attributes of an event
/// that came in through `/v2` are attributes of the delivered event too.
enum DeliveryPayload {
    static func render(_ message: CanonicalMessage) -> String {
        // The attributes in CloudEvents' order, absent optional ones left out (as JSONEncoder did
        // when this was an Encodable struct, which took a tenth of the relay's CPU per delivery).
        var text = "{\"specversion\":\"1.0\""
        text.reserveCapacity(message.data.utf8.count + 320)
        JSONText.appendMember("id", message.id.uuidString.lowercased(), to: &text)
        JSONText.appendMember("source", message.source, to: &text)
        JSONText.appendMember("type", message.type, to: &text)
        if let subject = message.subject { JSONText.appendMember("subject", subject, to: &text) }
        JSONText.appendMember("time", Timestamp.format(message.time), to: &text)
        JSONText.appendMember("datacontenttype", message.dataContentType, to: &text)
        if let correlation = message.correlationId { JSONText.appendMember("correlationid", correlation, to: &text) }
        // Extension attributes (from /v2) travel as attributes of their own, spliced in the same way.
        if let extensions = message.extensions, extensions.count > 2 {
            text += "," + extensions.dropFirst().dropLast()
        }
        return text + ",\"data\":" + message.data + "}"
    }
}
