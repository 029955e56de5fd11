import Foundation
import PostgresNIO

extension OutboxStore {
    /// Every change to `api_tokens` notifies this channel inside its own transaction, so an edge
    /// that listens reloads its table the moment the change is visible.
    public static let tokensChannel = "hub_tokens"

    /// Stores a new live token. Throws ``TokenStoreError/nameTaken(_:)`` when a live token has the name.
    public func createToken(name: String, role: String, digest: Data) async throws -> APIToken {
        let id = UUIDv7.make()
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO api_tokens (id, name, role, digest) VALUES (\(id), \(name), \(role), \(digest))
                    RETURNING created_at
                    """,
                    logger: logger
                )
                var created = Date()
                for try await at in rows.decode(Date.self) { created = at }
                try await connection.query("SELECT pg_notify(\(Self.tokensChannel), 'created')", logger: logger)
                return APIToken(id: id, name: name, role: role, createdAt: created)
            }
        } catch {
            // withTransaction wraps what the statement threw; a unique violation is the live-name index.
            let cause = (error as? PostgresTransactionError)?.closureError ?? error
            if let psql = cause as? PSQLError, psql.serverInfo?[.sqlState] == "23505" {
                throw TokenStoreError.nameTaken(name)
            }
            throw StoreError.classify(cause)
        }
    }

    /// Every token, live and revoked, oldest first.
    public func tokens() async throws -> [APIToken] {
        try await run {
            let rows = try await client.query(
                "SELECT id, name, role, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id",
                logger: logger
            )
            var tokens: [APIToken] = []
            for try await (id, name, role, created, used, revoked) in rows.decode(
                (UUID, String, String, Date, Date?, Date?).self
            ) {
                tokens.append(APIToken(id: id, name: name, role: role, createdAt: created, lastUsedAt: used, revokedAt: revoked))
            }
            return tokens
        }
    }

    /// Revokes the live token with this id or name; nil when there is none. The NOTIFY commits
    /// with the revocation, so listening edges drop the token as soon as the change is visible.
    public func revokeToken(idOrName: String) async throws -> APIToken? {
        let id = UUID(uuidString: idOrName)
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    UPDATE api_tokens SET revoked_at = now()
                    WHERE revoked_at IS NULL AND (id = \(id) OR name = \(idOrName))
                    RETURNING id, name, role, created_at, last_used_at, revoked_at
                    """,
                    logger: logger
                )
                var revoked: APIToken?
                for try await (id, name, role, created, used, at) in rows.decode(
                    (UUID, String, String, Date, Date?, Date?).self
                ) {
                    revoked = APIToken(id: id, name: name, role: role, createdAt: created, lastUsedAt: used, revokedAt: at)
                }
                if revoked != nil {
                    try await connection.query("SELECT pg_notify(\(Self.tokensChannel), 'revoked')", logger: logger)
                }
                return revoked
            }
        } catch {
            throw StoreError.classify((error as? PostgresTransactionError)?.closureError ?? error)
        }
    }

    /// The digests of every live token, for the edge's in-memory table.
    public func liveTokenDigests() async throws -> [LiveTokenDigest] {
        try await run {
            let rows = try await client.query(
                "SELECT digest, name, role FROM api_tokens WHERE revoked_at IS NULL", logger: logger
            )
            var live: [LiveTokenDigest] = []
            for try await (digest, name, role) in rows.decode((Data, String, String).self) {
                live.append(LiveTokenDigest(digest: digest, name: name, role: role))
            }
            return live
        }
    }

    /// The live token with this digest, if any: the edge's lookup for a digest its table lacks.
    public func liveToken(digest: Data) async throws -> LiveTokenDigest? {
        try await run {
            let rows = try await client.query(
                "SELECT name, role FROM api_tokens WHERE digest = \(digest) AND revoked_at IS NULL", logger: logger
            )
            for try await (name, role) in rows.decode((String, String).self) {
                return LiveTokenDigest(digest: digest, name: name, role: role)
            }
            return nil
        }
    }
}
