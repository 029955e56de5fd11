import Foundation
import PostgresNIO

/// Retention's deletes. Each takes at most `limit` rows in one short statement, skipping rows
/// another transaction holds (SKIP LOCKED), and deletes dependents in the same statement first.
extension OutboxStore {
    /// Attempt records of deliveries delivered before `cutoff`.
    public func purgeAttempts(deliveredBefore cutoff: Date, limit: Int) async throws -> Int {
        try await count(
            """
            DELETE FROM delivery_attempts a USING (
                SELECT a.delivery_id, a.attempt FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id
                WHERE d.status = 'delivered' AND d.delivered_at < \(cutoff)
                LIMIT \(limit)
            ) old
            WHERE a.delivery_id = old.delivery_id AND a.attempt = old.attempt
            RETURNING 1
            """
        )
    }

    /// Deliveries delivered before `cutoff`, with their attempts and settled job steps. A
    /// delivery whose job still waits for its vendor's callback stays.
    public func purgeDeliveries(deliveredBefore cutoff: Date, limit: Int) async throws -> Int {
        try await count(
            """
            WITH old AS (
                SELECT d.id FROM deliveries d
                WHERE d.status = 'delivered' AND d.delivered_at < \(cutoff)
                  AND NOT EXISTS (
                      SELECT 1 FROM job_steps j WHERE j.delivery_id = d.id AND j.status IN ('pending', 'processing')
                  )
                ORDER BY d.delivered_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), attempts AS (
                DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM old)
            ), steps AS (
                DELETE FROM job_steps WHERE delivery_id IN (SELECT id FROM old)
            )
            DELETE FROM deliveries WHERE id IN (SELECT id FROM old) RETURNING 1
            """
        )
    }

    /// Messages received before `cutoff` that no delivery or job step refers to any more, with
    /// their dedup keys and raw inbound requests.
    public func purgeMessages(receivedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await count(
            """
            WITH old AS (
                SELECT m.id FROM messages m
                WHERE m.received_at < \(cutoff)
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)
                  AND NOT EXISTS (SELECT 1 FROM job_steps j WHERE j.message_id = m.id)
                ORDER BY m.received_at LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), keys AS (
                DELETE FROM inbound_keys WHERE message_id IN (SELECT id FROM old)
            ), raw AS (
                DELETE FROM inbound_requests WHERE message_id IN (SELECT id FROM old)
            )
            DELETE FROM messages WHERE id IN (SELECT id FROM old) RETURNING 1
            """
        )
    }

    private func count(_ statement: PostgresQuery) async throws -> Int {
        try await run {
            var count = 0
            for try await _ in try await client.query(statement, logger: logger) { count += 1 }
            return count
        }
    }
}
