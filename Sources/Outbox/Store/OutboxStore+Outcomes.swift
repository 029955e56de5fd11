import Foundation
import PostgresNIO

/// The result of one try, as the relay decided it: the row's next state and the attempt record.
public struct RecordedOutcome: Sendable {
    public var deliveryId: UUID
    public var attempt: Int
    /// `.delivered`, `.dead`, or `.pending` for a retry at `nextAttemptAt`.
    public var status: DeliveryStatus
    public var nextAttemptAt: Date
    public var startedAt: Date
    public var durationMilliseconds: Int
    /// A short word for the attempt log: delivered, retry, dead.
    public var outcome: String
    public var httpStatus: Int?
    public var error: String?
    public var responseExcerpt: String?

    public init(
        deliveryId: UUID, attempt: Int, status: DeliveryStatus, nextAttemptAt: Date, startedAt: Date,
        durationMilliseconds: Int, outcome: String, httpStatus: Int?, error: String?, responseExcerpt: String?
    ) {
        self.deliveryId = deliveryId
        self.attempt = attempt
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.error = error
        self.responseExcerpt = responseExcerpt
    }
}

extension OutboxStore {
    /// Writes a batch of outcomes, in one statement: each row's new state and one attempt
    /// record per try. Only rows still leased to `owner` change (and get an attempt record), so
    /// a relay that lost its lease, whose row was rescued and claimed again elsewhere, cannot
    /// overwrite the newer state.
    public func record(_ outcomes: [RecordedOutcome], owner: String) async throws {
        guard !outcomes.isEmpty else { return }
        try await run {
            try await client.query(
                """
                WITH updated AS (
                    UPDATE deliveries d
                    SET status = o.status, next_attempt_at = o.next_attempt_at, last_error = nullif(o.error, ''),
                        lease_owner = NULL, lease_expires_at = NULL, updated_at = now(),
                        delivered_at = CASE WHEN o.status = 'delivered' THEN now() END
                    FROM unnest(\(outcomes.map(\.deliveryId))::uuid[], \(outcomes.map(\.status.rawValue))::text[],
                                \(outcomes.map(\.nextAttemptAt))::timestamptz[], \(outcomes.map { $0.error ?? "" })::text[])
                        AS o(id, status, next_attempt_at, error)
                    WHERE d.id = o.id AND d.status = 'delivering' AND d.lease_owner = \(owner)
                    RETURNING d.id
                )
                INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, http_status,
                                               error, response_excerpt, relay)
                SELECT a.id, a.attempt, a.started_at, a.duration_ms, a.outcome, nullif(a.http_status, 0),
                       nullif(a.error, ''), nullif(a.excerpt, ''), \(owner)
                FROM unnest(\(outcomes.map(\.deliveryId))::uuid[], \(outcomes.map(\.attempt))::integer[],
                            \(outcomes.map(\.startedAt))::timestamptz[], \(outcomes.map(\.durationMilliseconds))::integer[],
                            \(outcomes.map(\.outcome))::text[], \(outcomes.map { $0.httpStatus ?? 0 })::integer[],
                            \(outcomes.map { $0.error ?? "" })::text[], \(outcomes.map { $0.responseExcerpt ?? "" })::text[])
                    AS a(id, attempt, started_at, duration_ms, outcome, http_status, error, excerpt)
                WHERE a.id IN (SELECT id FROM updated)
                ON CONFLICT (delivery_id, attempt) DO NOTHING
                """,
                logger: logger
            )
        }
    }
}
