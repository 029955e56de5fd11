import Foundation
import Outbox

/// The body of `POST /v1/messages`, checked field by field so a bad request is told which
/// field is wrong and why.
struct MessageRequest {
    static let fields: Set<String> = ["type", "subject", "source", "time", "data", "datacontenttype"]

    var type: String
    var subject: String?
    var source: String?
    var time: Date?
    var data: JSONValue

    init(body: some Collection<UInt8>) throws {
        guard !body.isEmpty else { throw APIError.malformed("the body is empty; expected a JSON object") }
        guard let document = JSONValue(parsing: Data(body)) else {
            throw APIError.malformed("the body is not valid JSON")
        }
        guard case .object(let members) = document else { throw APIError.malformed("the body must be a JSON object") }
        if let unknown = members.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw APIError.invalidField(unknown, "unknown field '\(unknown)' (expected: \(Self.fields.sorted().joined(separator: ", ")))")
        }
        type = try Self.text(members, "type", required: true, limit: 256, pattern: Self.isTypeCharacter)!
        subject = try Self.text(members, "subject", required: false, limit: 512)
        source = try Self.text(members, "source", required: false, limit: 512)
        if let timeText = try Self.text(members, "time", required: false, limit: 64) {
            guard let parsed = Timestamp.parse(timeText) else {
                throw APIError.invalidField("time", "time must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
            }
            time = parsed
        }
        if let contentType = try Self.text(members, "datacontenttype", required: false, limit: 128),
            contentType != "application/json"
        {
            throw APIError.invalidField("datacontenttype", "only application/json data is accepted on /v1")
        }
        guard let data = members["data"] else { throw APIError.invalidField("data", "data is required") }
        self.data = data
    }

    /// The characters a message type may hold, wherever it comes from.
    static func isTypeCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "._-:/".contains(character))
    }

    private static func text(
        _ members: [String: JSONValue], _ field: String, required: Bool, limit: Int,
        pattern: ((Character) -> Bool)? = nil
    ) throws -> String? {
        guard let value = members[field], value != .null else {
            if required { throw APIError.invalidField(field, "\(field) is required") }
            return nil
        }
        guard case .string(let text) = value else { throw APIError.invalidField(field, "\(field) must be a string") }
        guard !text.isEmpty else { throw APIError.invalidField(field, "\(field) must not be empty") }
        // Postgres text cannot hold NUL: refuse it here rather than fail the whole ingest batch.
        guard !text.unicodeScalars.contains("\u{0}") else { throw APIError.invalidField(field, "\(field) must not contain NUL") }
        guard text.count <= limit else { throw APIError.invalidField(field, "\(field) is longer than \(limit) characters") }
        if let pattern, !text.allSatisfy(pattern) {
            throw APIError.invalidField(field, "\(field) may hold only letters, digits and . _ - : /")
        }
        return text
    }
}
