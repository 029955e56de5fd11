import Foundation
import Outbox

/// An S3 object key built from message fields, e.g. `inventory/{subject}/{id}.json`.
///
/// A key depends only on the message, so a retry overwrites the object it may already have
/// written. A key must never leave its prefix: the template is checked when the config is read,
/// and each value when the key is rendered (a value with `/`, `..` or a control character, or an
/// empty one, fails the delivery rather than writing somewhere else).
public struct ObjectKeyTemplate: Sendable, Equatable, CustomStringConvertible {
    public enum Field: String, Sendable, CaseIterable {
        case id, type, subject, source, date
    }

    enum Part: Sendable, Equatable {
        case literal(String)
        case field(Field)
    }

    /// Why a template or a rendered key was refused.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// S3's limit on a key, in UTF-8 bytes.
    public static let maxKeyBytes = 1024

    let parts: [Part]
    public let description: String

    public init(_ template: String) throws {
        guard !template.isEmpty else { throw Problem(description: "the key template is empty") }
        guard !template.hasPrefix("/") else { throw Problem(description: "a key must not start with /") }
        guard !template.contains("..") else { throw Problem(description: "a key must not contain '..'") }
        guard !template.contains("//"), !template.hasSuffix("/") else {
            throw Problem(description: "a key must not have empty segments ('//' or a trailing '/')")
        }
        guard !template.unicodeScalars.contains(where: Self.isControl) else {
            throw Problem(description: "a key must not contain control characters")
        }
        var parts: [Part] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{", let close = rest[open...].firstIndex(of: "}") else {
                throw Problem(description: "unbalanced '{' or '}' in the key template")
            }
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            let name = rest[rest.index(after: open)..<close]
            guard let field = Field(rawValue: String(name)) else {
                let known = Field.allCases.map { "{\($0.rawValue)}" }.joined(separator: ", ")
                throw Problem(description: "unknown field {\(name)} (expected one of: \(known))")
            }
            parts.append(.field(field))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
        self.description = template
    }

    /// The key for `message`, or a ``Problem`` naming the field whose value cannot be in a key.
    public func render(_ message: CanonicalMessage) throws -> String {
        var key = ""
        for part in parts {
            switch part {
            case .literal(let text): key += text
            case .field(let field):
                let value = Self.value(of: field, in: message)
                if let problem = Self.problem(with: value) {
                    throw Problem(description: "{\(field.rawValue)} \(problem): it cannot be part of an object key")
                }
                key += value
            }
        }
        // Two values side by side could still make a '.' or '..' segment: check the whole key too.
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.contains(".."), !segments.contains(where: { $0.isEmpty || $0 == "." }) else {
            throw Problem(description: "the rendered key '\(key)' has a '.', '..' or empty segment")
        }
        guard key.utf8.count <= Self.maxKeyBytes else {
            throw Problem(description: "the rendered key is longer than \(Self.maxKeyBytes) bytes")
        }
        return key
    }

    static func value(of field: Field, in message: CanonicalMessage) -> String {
        switch field {
        case .id: return message.id.uuidString.lowercased()
        case .type: return message.type
        case .subject: return message.subject ?? ""
        case .source: return message.source
        case .date: return utcDay(message.receivedAt)
        }
    }

    static func problem(with value: String) -> String? {
        if value.isEmpty { return "is empty" }
        if value.contains("/") { return "contains '/'" }
        if value.contains("..") { return "contains '..'" }
        if value.unicodeScalars.contains(where: isControl) { return "contains a control character" }
        return nil
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// YYYY-MM-DD in UTC.
    static func utcDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
