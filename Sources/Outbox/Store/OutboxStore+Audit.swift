import Foundation
import PostgresNIO

/// The audit log of ops actions (`ops_actions`), and the progress of bulk ones.
extension OutboxStore {
    private static let actionColumns = """
        id, at, actor, action, filter::text, dry_run, total, processed, status, error, finished_at
        """

    public func recordAction(_ action: OpsAction) async throws {
        _ = try await run {
            try await client.query(
                """
                INSERT INTO ops_actions (id, at, actor, action, filter, dry_run, total, processed, status, error,
                                         finished_at)
                VALUES (\(action.id), \(action.at), \(action.actor), \(action.action), \(action.filter.canonicalText)::json,
                        \(action.dryRun), \(action.total), \(action.processed), \(action.status.rawValue), \(action.error),
                        \(action.finishedAt))
                """,
                logger: logger
            )
        }
    }

    /// Records how far a running bulk action has got.
    public func updateProgress(ofAction id: UUID, processed: Int) async throws {
        _ = try await run {
            try await client.query(
                "UPDATE ops_actions SET processed = \(processed) WHERE id = \(id) AND status = 'running'", logger: logger
            )
        }
    }

    /// Marks a bulk action finished (done, failed or interrupted) with its final count.
    public func finishAction(_ id: UUID, status: OpsAction.Status, processed: Int, error: String? = nil) async throws {
        _ = try await run {
            try await client.query(
                """
                UPDATE ops_actions SET status = \(status.rawValue), processed = \(processed), error = \(error),
                                       finished_at = now()
                WHERE id = \(id)
                """,
                logger: logger
            )
        }
    }

    public func action(id: UUID) async throws -> OpsAction? {
        try await run {
            let rows = try await client.query(
                "SELECT \(unescaped: Self.actionColumns) FROM ops_actions WHERE id = \(id)", logger: logger
            )
            for try await row in rows { return try Self.action(row) }
            return nil
        }
    }

    /// The audit log, newest first; `before` is the last id of the previous page.
    public func actions(limit: Int, before: UUID? = nil) async throws -> [OpsAction] {
        try await run {
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.actionColumns) FROM ops_actions
                WHERE \(before)::uuid IS NULL OR id < \(before)::uuid
                ORDER BY id DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var actions: [OpsAction] = []
            for try await row in rows { actions.append(try Self.action(row)) }
            return actions
        }
    }

    private static func action(_ row: PostgresRow) throws -> OpsAction {
        let c = row.makeRandomAccess()
        return OpsAction(
            id: try c[0].decode(UUID.self), at: try c[1].decode(Date.self), actor: try c[2].decode(String.self),
            action: try c[3].decode(String.self), filter: JSONValue(parsing: try c[4].decode(String.self)) ?? .null,
            dryRun: try c[5].decode(Bool.self), total: try c[6].decode(Int.self), processed: try c[7].decode(Int.self),
            status: OpsAction.Status(rawValue: try c[8].decode(String.self)) ?? .failed,
            error: try c[9].decode(String?.self), finishedAt: try c[10].decode(Date?.self)
        )
    }
}
