import Foundation
import PostgresNIO

extension OutboxStore {
    /// Leases up to `limit` due deliveries of one destination to `owner` and returns them with
    /// their messages, oldest due first. SKIP LOCKED lets any number of relays claim side by side
    /// without waiting on each other or taking the same row.
    public func claim(destination: String, limit: Int, owner: String, lease: Duration) async throws
        -> [ClaimedDelivery]
    {
        let statement = ClaimStatement(
            destination: destination, limit: limit, owner: owner, leaseMilliseconds: Int(lease.seconds * 1000)
        )
        return try await run {
            var claimed: [ClaimedDelivery] = []
            for try await delivery in try await client.execute(statement, logger: logger) {
                claimed.append(delivery)
            }
            return claimed
        }
    }

    /// Returns deliveries whose lease ran out (their relay died or hung) to `pending`, due now,
    /// and records the lost try. At-least-once: the next claim delivers them again.
    @discardableResult
    public func rescueExpiredLeases(limit: Int = 1000) async throws -> Int {
        try await run {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    WITH expired AS (
                        SELECT id FROM deliveries
                        WHERE status = 'delivering' AND lease_expires_at < now()
                        ORDER BY lease_expires_at
                        LIMIT \(limit)
                        FOR UPDATE SKIP LOCKED
                    ), old AS (
                        SELECT d.id, d.attempts, d.lease_owner, d.updated_at FROM deliveries d JOIN expired USING (id)
                    ), rescued AS (
                        UPDATE deliveries d
                        SET status = 'pending', next_attempt_at = now(), lease_owner = NULL, lease_expires_at = NULL,
                            last_error = 'relay ' || old.lease_owner || ' did not report before its lease expired',
                            updated_at = now()
                        FROM old WHERE d.id = old.id
                        RETURNING old.id, old.attempts, old.lease_owner, old.updated_at
                    )
                    INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, error, relay)
                    SELECT id, attempts, updated_at,
                           (extract(epoch FROM now() - updated_at) * 1000)::integer, 'lost',
                           'relay ' || lease_owner || ' did not report before its lease expired', lease_owner
                    FROM rescued
                    ON CONFLICT (delivery_id, attempt) DO NOTHING
                    RETURNING delivery_id
                    """,
                    logger: logger
                )
                var count = 0
                for try await _ in rows { count += 1 }
                return count
            }
        }
    }
}
