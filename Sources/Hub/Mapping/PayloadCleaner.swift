import Foundation
import Outbox

/// The cleaning a source asks for before anything is stored: PII removed at JSON pointers,
/// and every string trimmed of surrounding whitespace.
struct PayloadCleaner: Sendable {
    var redact: [JSONPointer] = []
    var trim = false

    /// The document redacted, then trimmed; `redacted` is the redacted (untrimmed) document when
    /// redaction removed something: what may be stored as the raw copy.
    func clean(_ document: JSONValue) -> (cleaned: JSONValue, redacted: JSONValue?) {
        var copy = document
        let removedAny = redact(&copy)
        return (trimmed(copy), removedAny ? copy : nil)
    }

    /// Removes the redacted values; returns whether any was present.
    func redact(_ document: inout JSONValue) -> Bool {
        var removedAny = false
        for pointer in redact where pointer.remove(from: &document) { removedAny = true }
        return removedAny
    }

    func trimmed(_ document: JSONValue) -> JSONValue {
        guard trim else { return document }
        return Self.trim(document)
    }

    private static func trim(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text.trimmingCharacters(in: .whitespacesAndNewlines))
        case .array(let items): .array(items.map(trim))
        case .object(let members): .object(members.mapValues(trim))
        default: value
        }
    }
}
