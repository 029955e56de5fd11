import Foundation
import PostgresNIO

/// The relay's claim as a prepared statement (planned once per connection, run hundreds of
/// times a second). See ``OutboxStore/claim(destination:limit:owner:lease:)``.
struct ClaimStatement: PostgresPreparedStatement {
    typealias Row = ClaimedDelivery

    static let sql = """
        WITH due AS (
            SELECT id FROM deliveries
            WHERE status = 'pending' AND destination = $1 AND next_attempt_at <= now()
              -- Per-subject order: only a subject's head, the oldest delivery not yet delivered.
              -- A dead head blocks its subject until ops act.
              AND (ordering_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM deliveries earlier
                  WHERE earlier.destination = deliveries.destination AND earlier.ordering_key = deliveries.ordering_key
                    AND earlier.status <> 'delivered' AND earlier.message_id < deliveries.message_id
              ))
            ORDER BY next_attempt_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE deliveries d
            SET status = 'delivering', attempts = d.attempts + 1, lease_owner = $3,
                lease_expires_at = now() + make_interval(secs => $4::bigint / 1000.0), updated_at = now()
            -- Through the primary key, not a join: with the claim's LIMIT a parameter, the planner
            -- may join `due` by hashing or scanning all of deliveries, once per claim.
            WHERE d.id = ANY (ARRAY(SELECT id FROM due))
            RETURNING d.id, d.message_id, d.attempts, d.created_at
        )
        SELECT c.id, c.attempts, c.created_at, \(CanonicalMessage.columns)
        FROM claimed c JOIN messages m ON m.id = c.message_id
        """

    var destination: String
    var limit: Int
    var owner: String
    var leaseMilliseconds: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(destination)
        bindings.append(limit)
        bindings.append(owner)
        bindings.append(leaseMilliseconds)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let columns = row.makeRandomAccess()
        let message = try CanonicalMessage(row: columns, startingAt: 3)
        return ClaimedDelivery(
            id: try columns[0].decode(UUID.self),
            destination: destination,
            attempt: try columns[1].decode(Int.self),
            createdAt: try columns[2].decode(Date.self),
            message: message
        )
    }
}
