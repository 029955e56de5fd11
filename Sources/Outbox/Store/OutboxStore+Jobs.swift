import Foundation
import PostgresNIO

extension OutboxStore {
    /// A job with its vendor steps, or nil when `id` is not a job.
    public func job(id: UUID) async throws -> JobRecord? {
        try await run {
            let rows = try await client.query(
                """
                SELECT s.vendor, s.mode, s.status, s.result::text, s.error, s.deadline_at, s.updated_at, m.received_at
                FROM job_steps s JOIN messages m ON m.id = s.message_id
                WHERE s.message_id = \(id) ORDER BY s.vendor
                """,
                logger: logger
            )
            var createdAt: Date?
            var steps: [JobStep] = []
            for try await row in rows {
                let c = row.makeRandomAccess()
                steps.append(JobStep(
                    vendor: try c[0].decode(String.self), mode: try c[1].decode(String.self),
                    status: JobStatus(rawValue: try c[2].decode(String.self)) ?? .pending,
                    result: try c[3].decode(String?.self), error: try c[4].decode(String?.self),
                    deadline: try c[5].decode(Date?.self), updatedAt: try c[6].decode(Date.self)
                ))
                createdAt = try c[7].decode(Date.self)
            }
            guard let createdAt else { return nil }
            return JobRecord(id: id, createdAt: createdAt, steps: steps)
        }
    }

    /// Settles `vendor`'s step of job `id` with its callback: complete with `result`, or failed
    /// with `error` when the vendor reported one. A callback may arrive before the relay has
    /// recorded the vendor's 2xx, so a pending step takes it too. Past the deadline the step
    /// fails as timed out instead.
    public func recordCallback(job id: UUID, vendor: String, result: String?, error: String?) async throws
        -> JobCallbackResult
    {
        try await run {
            let settled = try await client.query(
                """
                UPDATE job_steps SET
                    status = CASE WHEN deadline_at <= now() OR \(error ?? "") <> '' THEN 'failed' ELSE 'complete' END,
                    result = CASE WHEN deadline_at <= now() THEN NULL ELSE nullif(\(result ?? ""), '')::json END,
                    error = CASE WHEN deadline_at <= now()
                                 THEN 'timed out: the callback came after the deadline (' || \(unescaped: Self.rfc3339("deadline_at")) || ')'
                                 ELSE nullif(\(error ?? ""), '') END,
                    updated_at = now()
                WHERE message_id = \(id) AND vendor = \(vendor) AND status IN ('pending', 'processing')
                RETURNING status, coalesce(deadline_at <= now(), false)
                """,
                logger: logger
            )
            for try await (status, timedOut) in settled.decode((String, Bool).self) {
                if timedOut { return .tooLate }
                return .recorded(JobStatus(rawValue: status) ?? .failed)
            }
            let current = try await client.query(
                "SELECT status, result::text FROM job_steps WHERE message_id = \(id) AND vendor = \(vendor)", logger: logger
            )
            for try await (status, result) in current.decode((String, String?).self) {
                return .alreadyFinal(JobStatus(rawValue: status) ?? .failed, result: result)
            }
            return .unknownJob
        }
    }

    /// Fails async steps whose vendor did not call back by the deadline; returns how many.
    @discardableResult
    public func failOverdueJobs() async throws -> Int {
        try await run {
            let rows = try await client.query(
                """
                UPDATE job_steps
                SET status = 'failed', updated_at = now(),
                    error = 'timed out: no callback from ' || vendor || ' by ' || \(unescaped: Self.rfc3339("deadline_at"))
                WHERE status = 'processing' AND deadline_at <= now()
                RETURNING 1
                """,
                logger: logger
            )
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }

    /// A timestamptz column as RFC 3339 UTC text, the way the API writes times.
    private static func rfc3339(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }
}
