import Foundation
import PostgresNIO

/// A batch of delivery outcomes as a prepared statement. See ``OutboxStore/record(_:owner:)``.
struct RecordStatement: PostgresPreparedStatement {
    typealias Row = Void

    static let sql = """
        WITH updated AS (
            UPDATE deliveries d
            SET status = o.status, next_attempt_at = o.next_attempt_at, last_error = nullif(o.error, ''),
                lease_owner = NULL, lease_expires_at = NULL, updated_at = now(),
                delivered_at = CASE WHEN o.status = 'delivered' THEN now() END
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS o(id, status, next_attempt_at, error)
            WHERE d.id = o.id AND d.status = 'delivering' AND d.lease_owner = $10
            RETURNING d.id
        ), steps AS (
            -- A job step moves only from pending: a vendor that called back before this outcome
            -- was recorded has already settled it.
            UPDATE job_steps j
            SET status = o.job_status, result = nullif(o.job_result, '')::json,
                error = CASE WHEN o.job_status = 'failed' THEN nullif(o.error, '') END,
                deadline_at = CASE WHEN o.job_status = 'processing' THEN o.deadline END, updated_at = now()
            FROM unnest($1::uuid[], $12::text[], $13::text[], $14::timestamptz[], $4::text[])
                AS o(id, job_status, job_result, deadline, error)
            WHERE j.delivery_id = o.id AND o.job_status <> '' AND j.status = 'pending'
              AND o.id IN (SELECT id FROM updated)
        )
        INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, http_status, error,
                                       response_excerpt, relay)
        SELECT a.id, a.attempt, a.started_at, a.duration_ms, a.outcome, nullif(a.http_status, 0), nullif(a.error, ''),
               nullif(a.excerpt, ''), $10
        FROM unnest($1::uuid[], $5::integer[], $6::timestamptz[], $7::integer[], $8::text[], $9::integer[],
                    $4::text[], $11::text[])
            AS a(id, attempt, started_at, duration_ms, outcome, http_status, error, excerpt)
        WHERE a.id IN (SELECT id FROM updated)
        ON CONFLICT (delivery_id, attempt) DO NOTHING
        """

    var outcomes: [RecordedOutcome]
    var owner: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(outcomes.map(\.deliveryId))
        bindings.append(outcomes.map(\.status.rawValue))
        bindings.append(outcomes.map(\.nextAttemptAt))
        bindings.append(outcomes.map { $0.attempt.error ?? "" })
        bindings.append(outcomes.map { Int32($0.attempt.attempt) })
        bindings.append(outcomes.map(\.attempt.startedAt))
        bindings.append(outcomes.map { Int32(clamping: $0.attempt.durationMilliseconds) })
        bindings.append(outcomes.map(\.attempt.outcome))
        bindings.append(outcomes.map { Int32($0.attempt.httpStatus ?? 0) })
        bindings.append(owner)
        bindings.append(outcomes.map { $0.attempt.responseExcerpt ?? "" })
        // Arrays cannot carry NULL elements through this driver: empty strings stand for none.
        bindings.append(outcomes.map { $0.job?.status.rawValue ?? "" })
        bindings.append(outcomes.map { $0.job?.result ?? "" })
        bindings.append(outcomes.map { $0.job?.deadline ?? $0.nextAttemptAt })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
