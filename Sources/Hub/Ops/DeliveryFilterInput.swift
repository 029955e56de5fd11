import Foundation
import Outbox

/// Reads a ``DeliveryFilter`` from a query string or from the `filter` object of an ops
/// request body, checking each field so a bad one is named (`status`, or `filter.status`).
enum DeliveryFilterInput {
    static let fields = ["status", "destination", "type", "source", "subject", "since", "until"]

    /// From `?status=&destination=&...`; `extra` are other query parameters the endpoint takes.
    static func query(_ parameters: [(String, String)], extra: Set<String> = []) throws -> DeliveryFilter {
        var values: [String: String] = [:]
        for (name, value) in parameters {
            guard fields.contains(name) || extra.contains(name) else {
                let known = (fields + extra.sorted()).joined(separator: ", ")
                throw APIError.invalidField(name, "unknown query parameter '\(name)' (expected: \(known))")
            }
            values[name] = value
        }
        return try filter(values, prefix: "")
    }

    /// From a JSON object (the request body's `filter`); nil or absent means no condition.
    static func body(_ value: JSONValue?) throws -> DeliveryFilter {
        guard let value, value != .null else { return DeliveryFilter() }
        guard case .object(let members) = value else { throw APIError.invalidField("filter", "filter must be an object") }
        var values: [String: String] = [:]
        for (name, member) in members {
            guard fields.contains(name) else {
                throw APIError.invalidField(
                    "filter.\(name)", "unknown filter field '\(name)' (expected: \(fields.joined(separator: ", ")))"
                )
            }
            guard case .string(let text) = member else {
                throw APIError.invalidField("filter.\(name)", "filter.\(name) must be a string")
            }
            values[name] = text
        }
        return try filter(values, prefix: "filter.")
    }

    private static func filter(_ values: [String: String], prefix: String) throws -> DeliveryFilter {
        var filter = DeliveryFilter()
        for name in fields {
            guard let text = values[name] else { continue }
            let field = prefix + name
            guard !text.isEmpty, text.count <= 512 else {
                throw APIError.invalidField(field, "\(field) must be 1 to 512 characters")
            }
            switch name {
            case "status":
                guard let status = DeliveryStatus(rawValue: text) else {
                    let known = DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    throw APIError.invalidField(field, "\(field) '\(text)' is not one of: \(known)")
                }
                filter.status = status
            case "destination": filter.destination = text
            case "type": filter.type = text
            case "source": filter.source = text
            case "subject": filter.subject = text
            case "since": filter.since = try time(text, field)
            default: filter.until = try time(text, field)
            }
        }
        if let since = filter.since, let until = filter.until, since >= until {
            throw APIError.invalidField(prefix + "until", "\(prefix)until must be later than \(prefix)since")
        }
        return filter
    }

    private static func time(_ text: String, _ field: String) throws -> Date {
        guard let date = Timestamp.parse(text) else {
            throw APIError.invalidField(field, "\(field) must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
        }
        return date
    }
}
