import Foundation
import PostgresNIO

/// Paused destinations: their deliveries queue up but no relay claims them until resumed.
extension OutboxStore {
    /// The payload on ``notifyChannel`` that tells relays the paused set changed. Ingest
    /// notifies with an empty payload, so relays reload the set only when this arrives.
    public static let pausedChangedPayload = "paused"

    /// Pauses `destination`; false if it was already paused.
    @discardableResult
    public func pause(destination: String, by actor: String) async throws -> Bool {
        try await changePause(
            """
            INSERT INTO paused_destinations (destination, paused_by) VALUES (\(destination), \(actor))
            ON CONFLICT (destination) DO NOTHING RETURNING destination
            """
        )
    }

    /// Resumes `destination`; false if it was not paused.
    @discardableResult
    public func resume(destination: String) async throws -> Bool {
        try await changePause("DELETE FROM paused_destinations WHERE destination = \(destination) RETURNING destination")
    }

    public func pausedDestinations() async throws -> Set<String> {
        try await run {
            var names = Set<String>()
            let rows = try await client.query("SELECT destination FROM paused_destinations", logger: logger)
            for try await name in rows.decode(String.self) { names.insert(name) }
            return names
        }
    }

    private func changePause(_ statement: PostgresQuery) async throws -> Bool {
        try await run {
            try await client.withTransaction(logger: logger) { connection in
                var changed = false
                for try await _ in try await connection.query(statement, logger: logger) { changed = true }
                if changed {
                    try await connection.query(
                        "SELECT pg_notify(\(Self.notifyChannel), \(Self.pausedChangedPayload))", logger: logger
                    )
                }
                return changed
            }
        }
    }
}
