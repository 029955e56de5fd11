import Foundation
import PostgresNIO

extension OutboxStore {
    /// Leases up to `limit` due deliveries of one destination to `owner` and returns them with
    /// their messages, oldest due first. SKIP LOCKED lets any number of relays claim side by side
    /// without waiting on each other or taking the same row.
    public func claim(destination: String, limit: Int, owner: String, lease: Duration) async throws
        -> [ClaimedDelivery]
    {
        let leaseMilliseconds = Int(lease.seconds * 1000)
        return try await run {
            let rows = try await client.query(
                """
                WITH due AS (
                    SELECT id FROM deliveries
                    WHERE status = 'pending' AND destination = \(destination) AND next_attempt_at <= now()
                    ORDER BY next_attempt_at, id
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE deliveries d
                    SET status = 'delivering', attempts = d.attempts + 1, lease_owner = \(owner),
                        lease_expires_at = now() + make_interval(secs => \(leaseMilliseconds) / 1000.0),
                        updated_at = now()
                    FROM due WHERE d.id = due.id
                    RETURNING d.id, d.message_id, d.attempts, d.created_at
                )
                SELECT c.id, c.attempts, c.created_at, m.id, m.source, m.type, m.subject, m.time,
                       m.datacontenttype, m.data::text, m.idempotency_key, m.content_hash, m.received_at,
                       m.correlation_id
                FROM claimed c JOIN messages m ON m.id = c.message_id
                """,
                logger: logger
            )
            var claimed: [ClaimedDelivery] = []
            for try await row in rows {
                let columns = row.makeRandomAccess()
                let message = CanonicalMessage(
                    id: try columns[3].decode(UUID.self),
                    source: try columns[4].decode(String.self),
                    type: try columns[5].decode(String.self),
                    subject: try columns[6].decode(String?.self),
                    time: try columns[7].decode(Date.self),
                    dataContentType: try columns[8].decode(String.self),
                    data: try columns[9].decode(String.self),
                    idempotencyKey: try columns[10].decode(String?.self),
                    contentHash: try columns[11].decode(String.self),
                    receivedAt: try columns[12].decode(Date.self),
                    correlationId: try columns[13].decode(String?.self)
                )
                claimed.append(ClaimedDelivery(
                    id: try columns[0].decode(UUID.self),
                    destination: destination,
                    attempt: try columns[1].decode(Int.self),
                    createdAt: try columns[2].decode(Date.self),
                    message: message
                ))
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
