import Foundation
import Outbox

/// How a source's payload becomes a canonical message: the type from a template, subject,
/// time and data from JSON pointers, after the payload is cleaned. A configured pointer that
/// finds nothing is the sender's error (400, naming the field), unless listed as optional.
struct WebhookMapping: Sendable {
    enum Field: String, Sendable, CaseIterable {
        case subject, time
    }

    var type: TypeTemplate
    var subject: JSONPointer?
    var time: JSONPointer?
    var data = JSONPointer.root
    var cleaner = PayloadCleaner()
    var optional: Set<Field> = []

    struct Mapped {
        var type: String
        var subject: String?
        var time: Date?
        var data: JSONValue
        /// The payload after redaction, when redaction removed something: what may be stored raw.
        var redactedPayload: JSONValue?
    }

    func map(_ payload: JSONValue) throws -> Mapped {
        let (document, redactedPayload) = cleaner.clean(payload)

        let type: String
        switch self.type.render(document) {
        case .success(let text): type = text
        case .failure(let missing):
            throw APIError.invalidField("type", "map.type: \(missing.pointer) found no text in the payload")
        }
        guard !type.isEmpty, type.count <= 256, type.allSatisfy(MessageRequest.isTypeCharacter) else {
            throw APIError.invalidField("type", "map.type gave '\(type.prefix(64))', which is not a valid message type")
        }
        guard let data = document.resolve(data) else {
            throw APIError.invalidField("data", "map.data: \(data) found no value in the payload")
        }
        return Mapped(
            type: type, subject: try subject(in: document), time: try time(in: document), data: data,
            redactedPayload: redactedPayload
        )
    }

    private func subject(in document: JSONValue) throws -> String? {
        guard let pointer = subject else { return nil }
        guard let text = document.resolve(pointer)?.scalarText, !text.isEmpty else {
            if optional.contains(.subject) { return nil }
            throw APIError.invalidField("subject", "map.subject: \(pointer) found no text in the payload")
        }
        guard text.count <= 512 else { throw APIError.invalidField("subject", "the subject is longer than 512 characters") }
        // Postgres text cannot hold NUL; refused here, it cannot fail the batch it would commit with.
        guard !text.utf8.contains(0) else { throw APIError.invalidField("subject", "the subject must not contain NUL") }
        return text
    }

    /// RFC 3339 text, or a number of seconds since 1970.
    private func time(in document: JSONValue) throws -> Date? {
        guard let pointer = time else { return nil }
        switch document.resolve(pointer) {
        case .string(let text):
            guard let date = Timestamp.parse(text) else {
                throw APIError.invalidField("time", "map.time: \(pointer) holds '\(text.prefix(64))', not an RFC 3339 time")
            }
            return date
        case .int(let seconds): return Date(timeIntervalSince1970: TimeInterval(seconds))
        case .double(let seconds): return Date(timeIntervalSince1970: seconds)
        case nil, .null?:
            if optional.contains(.time) { return nil }
            throw APIError.invalidField("time", "map.time: \(pointer) found no value in the payload")
        default:
            throw APIError.invalidField("time", "map.time: \(pointer) is neither an RFC 3339 time nor a number")
        }
    }
}
