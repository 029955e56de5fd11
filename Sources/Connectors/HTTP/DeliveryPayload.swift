import Foundation
import Outbox

/// The body Hub POSTs: the message as a CloudEvents 1.0 structured JSON event, its `data` the
/// stored canonical JSON, spliced in as is.
enum DeliveryPayload {
    static func render(_ message: CanonicalMessage) -> String {
        var fields: [(String, String)] = [
            ("specversion", quoted("1.0")),
            ("id", quoted(message.id.uuidString.lowercased())),
            ("source", quoted(message.source)),
            ("type", quoted(message.type)),
        ]
        if let subject = message.subject { fields.append(("subject", quoted(subject))) }
        fields.append(("time", quoted(Timestamp.format(message.time))))
        fields.append(("datacontenttype", quoted(message.dataContentType)))
        if let correlation = message.correlationId { fields.append(("correlationid", quoted(correlation))) }
        fields.append(("data", message.data))
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private static func quoted(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: (try? encoder.encode(value)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
