import Foundation

/// A bearer token made at runtime (`hub tokens create`, `POST /v1/tokens`), as the database
/// keeps it: never the secret, only its SHA-256 digest.
public struct APIToken: Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// One of ingest, read, operator, admin (the database checks it).
    public var role: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(id: UUID, name: String, role: String, createdAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A live token as the edge's authenticator needs it.
public struct LiveTokenDigest: Sendable, Equatable {
    public var digest: Data
    public var name: String
    public var role: String

    public init(digest: Data, name: String, role: String) {
        self.digest = digest
        self.name = name
        self.role = role
    }
}

/// Why a token could not be made or revoked.
public enum TokenStoreError: Error, Equatable, CustomStringConvertible {
    /// A live token already has this name.
    case nameTaken(String)

    public var description: String {
        switch self {
        case .nameTaken(let name): "a live token is already named '\(name)'"
        }
    }
}
