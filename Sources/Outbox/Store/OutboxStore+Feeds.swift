import Foundation
import PostgresNIO

/// What dealer feeds record: their runs, and each published file with its message.
extension OutboxStore {
    /// What a feed run rendered, and what to do with it.
    public struct FeedDraft: Sendable {
        public var run: FeedRun
        /// Set when the run publishes: the message carrying the file and its one destination.
        public var submission: Submission?

        public init(run: FeedRun, submission: Submission?) {
            self.run = run
            self.submission = submission
        }
    }

    /// First key of the advisory lock a feed run holds ("HUBF"); the second hashes the schema and
    /// the feed's name (advisory locks span the database; hubs in other schemas are strangers).
    static let feedLockSpace: Int32 = 0x4855_4246

    /// Runs one feed run in ONE transaction holding the feed's advisory lock, so two hubs never
    /// run the same feed at once. `render` writes the file through the writer (chunks go into
    /// the transaction as they are produced) and decides, given the feed's history read under
    /// the lock; a published run commits its file, message, delivery and run row together, any
    /// other keeps only the run row, and a nil draft (nothing to do after all) keeps nothing.
    /// Returns nil when another process holds the feed's lock, or for a nil draft.
    public func runFeed(
        _ feed: String, messageId: UUID,
        render: (MessageFileWriter, FeedHistory) async throws -> FeedDraft?
    ) async throws -> FeedRun? {
        let (feedRun, leftPending) = try await run {
            try await client.withTransaction(logger: logger) { connection -> (FeedRun?, Bool) in
                let locked = try await connection.query(
                    "SELECT pg_try_advisory_xact_lock(\(Self.feedLockSpace), hashtext(current_schema() || '.' || \(feed)))", logger: logger)
                for try await held in locked.decode(Bool.self) where !held { return (nil, false) }
                let history = try await Self.history(of: feed, limit: 1, on: connection, logger: logger)
                try await connection.query("SAVEPOINT feed_file", logger: logger)
                let writer = MessageFileWriter(messageId: messageId, connection: connection, logger: logger)
                guard let draft = try await render(writer, history) else { return (nil, false) }
                var leftPending = false
                if let submission = draft.submission {
                    let (statement, _) = acceptStatement(for: [submission])
                    leftPending = try await Self.outcome(try await connection.execute(statement, logger: logger)).leftPending
                } else {
                    try await connection.query("ROLLBACK TO SAVEPOINT feed_file", logger: logger)
                }
                try await connection.query(Self.insert(draft.run), logger: logger)
                return (draft.run, leftPending)
            }
        }
        if leftPending { wakeRelays() }
        return feedRun
    }

    /// Records a run that never reached the transaction above (the projection could not be read).
    public func recordFeedRun(_ run: FeedRun) async throws {
        try await self.run { _ = try await client.query(Self.insert(run), logger: logger) }
    }

    /// The feed's latest runs (newest first), its last published run and its last scheduled one.
    public func feedHistory(_ feed: String, limit: Int = 10) async throws -> FeedHistory {
        try await run {
            try await client.withConnection { connection in
                try await Self.history(of: feed, limit: limit, on: connection, logger: logger)
            }
        }
    }

    private static func history(of feed: String, limit: Int, on connection: PostgresConnection, logger: Logger)
        async throws -> FeedHistory
    {
        var history = FeedHistory()
        history.recent = try await runs(
            connection.query("SELECT \(unescaped: columns) FROM feed_runs WHERE feed = \(feed) ORDER BY started_at DESC, id DESC LIMIT \(limit)", logger: logger))
        history.lastPublished = try await runs(
            connection.query(
                """
                SELECT \(unescaped: columns) FROM feed_runs WHERE feed = \(feed) AND status = 'published'
                ORDER BY started_at DESC, id DESC LIMIT 1
                """, logger: logger)
        ).first
        let scheduled = try await connection.query(
            "SELECT max(started_at) FROM feed_runs WHERE feed = \(feed) AND trigger = 'schedule'", logger: logger)
        for try await at in scheduled.decode(Date?.self) { history.lastScheduledAt = at }
        return history
    }

    private static let columns = """
        id, feed, trigger, forced, requested_by, status, started_at, duration_ms, items, bytes, sha256, file_name,
        change_mark, message_id, detail
        """

    private static func runs(_ rows: PostgresRowSequence) async throws -> [FeedRun] {
        var runs: [FeedRun] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            runs.append(FeedRun(
                id: try cells[0].decode(UUID.self), feed: try cells[1].decode(String.self),
                trigger: FeedRun.Trigger(rawValue: try cells[2].decode(String.self)) ?? .manual,
                forced: try cells[3].decode(Bool.self), requestedBy: try cells[4].decode(String?.self),
                status: FeedRun.Status(rawValue: try cells[5].decode(String.self)) ?? .failed,
                startedAt: try cells[6].decode(Date.self), durationMs: try cells[7].decode(Int.self),
                items: try cells[8].decode(Int.self), bytes: try cells[9].decode(Int.self),
                sha256: try cells[10].decode(String?.self), fileName: try cells[11].decode(String?.self),
                changeMark: try cells[12].decode(Int64?.self), messageId: try cells[13].decode(UUID?.self),
                detail: try cells[14].decode(String?.self)
            ))
        }
        return runs
    }

    private static func insert(_ run: FeedRun) -> PostgresQuery {
        """
        INSERT INTO feed_runs (id, feed, trigger, forced, requested_by, status, started_at, duration_ms, items, bytes,
                               sha256, file_name, change_mark, message_id, detail)
        VALUES (\(run.id), \(run.feed), \(run.trigger.rawValue), \(run.forced), \(run.requestedBy), \(run.status.rawValue),
                \(run.startedAt),
                \(run.durationMs), \(run.items), \(Int64(run.bytes)), \(run.sha256), \(run.fileName), \(run.changeMark),
                \(run.messageId), \(run.detail))
        """
    }
}
