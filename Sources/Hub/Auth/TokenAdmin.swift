import Foundation
import Outbox

/// Making and revoking database tokens, the same way for `hub tokens` and `/v1/tokens`.
struct TokenAdmin: Sendable {
    let store: OutboxStore
    /// Names of the config's tokens: a database token may not share one (they share dedup scopes).
    let reservedNames: Set<String>

    /// A problem with what was asked for, naming the field.
    struct Refusal: Error, CustomStringConvertible {
        var field: String
        var description: String
        /// True when the name is taken (409), else the input is invalid (400).
        var conflict = false
    }

    /// Stores a new token and returns it with its secret, which exists nowhere else afterwards.
    func create(name: String, role roleName: String) async throws -> (token: APIToken, secret: String) {
        guard !name.isEmpty, name.count <= 64,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw Refusal(field: "name", description: "name must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard let role = Role(rawValue: roleName) else {
            let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
            throw Refusal(field: "role", description: "role must be one of: \(known)")
        }
        guard !reservedNames.contains(name) else {
            throw Refusal(field: "name", description: "'\(name)' is the name of a config token", conflict: true)
        }
        let secret = TokenSecret.generate()
        do {
            let token = try await store.createToken(name: name, role: role.rawValue, digest: TokenSecret.digest(of: secret))
            return (token, secret)
        } catch TokenStoreError.nameTaken {
            throw Refusal(field: "name", description: "a live token is already named '\(name)'", conflict: true)
        }
    }
}

/// A token as `/v1/tokens` and `hub tokens list` show it: never the secret.
struct TokenView: Encodable {
    var id: String
    var name: String
    var role: String
    var created_at: String
    var last_used_at: String?
    var revoked_at: String?
    /// Only in the answer to its creation.
    var token: String?

    init(_ token: APIToken, secret: String? = nil) {
        id = token.id.lowercasedString
        name = token.name
        role = token.role
        created_at = Timestamp.format(token.createdAt)
        last_used_at = token.lastUsedAt.map(Timestamp.format)
        revoked_at = token.revokedAt.map(Timestamp.format)
        self.token = secret
    }
}
