import Foundation
import PostgresNIO

/// What drop sources record about the files they take in.
extension OutboxStore {
    /// Commits a batch of a file's records and the file's progress in ONE transaction, so that
    /// after a crash the file resumes exactly after its last committed batch. The batch may be
    /// empty (a file whose last records were all bad).
    public func accept(_ batch: [Submission], progress: FileProgress) async throws -> [AcceptResult] {
        let (statement, planned) = acceptStatement(for: batch)
        return try await run {
            let (stored, leftPending) = try await client.withTransaction(logger: logger) { connection in
                let outcome = batch.isEmpty
                    ? (stored: Set<UUID>(), leftPending: false) : try await Self.outcome(try await connection.execute(statement, logger: logger))
                try await connection.query(
                    Self.progressUpsert(
                        progress.file, status: progress.finished ? .ingested : .ingesting, nextRecord: progress.nextRecord,
                        newRecords: outcome.stored.count, skipped: progress.skipped, report: progress.report),
                    logger: logger)
                return outcome
            }
            if leftPending { wakeRelays() }
            return try await answers(batch, planned: planned, stored: stored)
        }
    }

    /// Records a file refused as a whole: none of its records is committed.
    public func rejectFile(_ file: DroppedFile, report: String) async throws {
        _ = try await run {
            try await client.query(
                Self.progressUpsert(file, status: .rejected, nextRecord: 0, newRecords: 0, skipped: 0, report: report),
                logger: logger)
        }
    }

    /// What is known of this content from this source.
    public func fileIntake(source: String, sha256: String) async throws -> FileIntake? {
        try await run {
            try await firstIntake(
                client.query(
                    """
                    SELECT status, path, next_record, records, skipped, report FROM file_intakes
                    WHERE source = \(source) AND sha256 = \(sha256)
                    """, logger: logger))
        }
    }

    /// What is known of the file at `path` with this size and mtime: lets a source that crashed
    /// between commit and move recognise the file without reading it again.
    public func fileIntake(source: String, path: String, size: Int, mtime: Date) async throws -> FileIntake? {
        try await run {
            try await firstIntake(
                client.query(
                    """
                    SELECT status, path, next_record, records, skipped, report FROM file_intakes
                    WHERE source = \(source) AND path = \(path) AND size = \(Int64(size)) AND mtime = \(mtime)
                    ORDER BY first_seen_at DESC LIMIT 1
                    """, logger: logger))
        }
    }

    private func firstIntake(_ rows: PostgresRowSequence) async throws -> FileIntake? {
        for try await (status, path, next, records, skipped, report) in rows.decode((String, String, Int, Int, Int, String?).self) {
            return FileIntake(
                status: FileIntake.Status(rawValue: status) ?? .ingesting, path: path, nextRecord: next,
                records: records, skipped: skipped, report: report)
        }
        return nil
    }

    private static func progressUpsert(
        _ file: DroppedFile, status: FileIntake.Status, nextRecord: Int, newRecords: Int, skipped: Int, report: String?
    ) -> PostgresQuery {
        let finished = status != .ingesting
        return """
            INSERT INTO file_intakes AS f (source, sha256, path, size, mtime, status, next_record, records, skipped, report,
                                           finished_at)
            VALUES (\(file.source), \(file.sha256), \(file.path), \(Int64(file.size)), \(file.mtime), \(status.rawValue),
                    \(nextRecord), \(newRecords), \(skipped), \(report), CASE WHEN \(finished) THEN now() END)
            ON CONFLICT (source, sha256) DO UPDATE SET
                path = excluded.path, size = excluded.size, mtime = excluded.mtime, status = excluded.status,
                next_record = excluded.next_record, records = f.records + excluded.records, skipped = excluded.skipped,
                report = excluded.report, finished_at = excluded.finished_at
            """
    }
}
