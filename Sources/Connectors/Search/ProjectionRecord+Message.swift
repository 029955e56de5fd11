import Foundation
import Outbox

/// Why a message cannot be projected; retrying it cannot help.
public struct ProjectionInputError: Error, CustomStringConvertible {
    public var description: String
}

extension ProjectionCollection {
    /// The projection write `message` asks for: its data as the subject's document, with text
    /// and facets extracted by pointer, or a tombstone when its type is a delete type.
    public func record(for message: CanonicalMessage) throws -> ProjectionRecord {
        guard let subject = message.subject, !subject.isEmpty else {
            throw ProjectionInputError(description: "a search destination needs the message's subject")
        }
        var record = ProjectionRecord(
            collection: name, subject: subject, versionTime: message.time, versionId: message.id, document: nil
        )
        if deleteTypes.contains(message.type) { return record }
        guard let document = JSONValue(parsing: message.data), case .object = document else {
            throw ProjectionInputError(description: "a search document must be a JSON object")
        }
        record.document = message.data
        var facetValues: [String: JSONValue] = [:]
        for facet in facets {
            guard let value = facet.pointer.resolve(in: document) else { continue }
            switch facet.kind {
            case .keyword: facetValues[facet.name] = Self.keyword(value).map(JSONValue.string)
            case .number: facetValues[facet.name] = Self.number(value).map(JSONValue.double)
            }
        }
        record.facets = JSONValue.object(facetValues).canonicalText
        for field in text {
            guard let value = field.pointer.resolve(in: document) else { continue }
            let words = Self.words(value)
            guard !words.isEmpty else { continue }
            record.text[field.weight] = [record.text[field.weight], words].compactMap { $0 }.joined(separator: " ")
        }
        return record
    }

    /// A facet keyword: a string, or a number or bool as written.
    static func keyword(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text.isEmpty ? nil : text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        default: nil
        }
    }

    /// A facet number: a JSON number, or a string that reads as one ("18500").
    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number.isFinite ? number : nil
        case .string(let text): Double(text.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }

    /// The searchable text of a value: strings and numbers, and those inside arrays.
    static func words(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .array(let items): items.map(words).filter { !$0.isEmpty }.joined(separator: " ")
        default: ""
        }
    }
}
