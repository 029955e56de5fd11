import Foundation
import PostgresNIO

/// What `retry` did to one delivery.
public enum RetryResult: Sendable, Equatable {
    /// Pending and due now.
    case queued
    case notFound
    /// Being delivered right now, or already delivered (resend it instead).
    case notRetryable(DeliveryStatus)
}

/// Ops reads and actions on deliveries: list by filter, retry one, redrive dead ones, resend
/// delivered ones. Every statement is a ``FilteredQuery``: fixed fragments, bound values.
extension OutboxStore {
    /// Deliveries matching `filter`, newest first, each with its attempts. `before` is the
    /// last id of the previous page (keyset pagination: stable while rows are added).
    public func listDeliveries(_ filter: DeliveryFilter, limit: Int, before: UUID? = nil) async throws
        -> [ListedDelivery]
    {
        var statement = FilteredQuery(
            """
            SELECT d.id, d.message_id, d.destination, d.status, d.attempts, d.next_attempt_at, d.last_error,
                   d.created_at, d.delivered_at, d.resent_from, m.type, m.source, m.subject
            FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE true
            """
        )
        statement.conditions(filter)
        if let before {
            statement.sql(" AND d.id < ")
            statement.bind(before)
        }
        statement.sql(" ORDER BY d.id DESC LIMIT ")
        statement.bind(limit)
        return try await run {
            var listed: [ListedDelivery] = []
            for try await row in try await client.query(statement.query, logger: logger) {
                let c = row.makeRandomAccess()
                let status = DeliveryStatus(rawValue: try c[3].decode(String.self)) ?? .pending
                let record = DeliveryRecord(
                    id: try c[0].decode(UUID.self), messageId: try c[1].decode(UUID.self),
                    destination: try c[2].decode(String.self), status: status, attempts: try c[4].decode(Int.self),
                    nextAttemptAt: status == .pending ? try c[5].decode(Date.self) : nil,
                    lastError: try c[6].decode(String?.self), createdAt: try c[7].decode(Date.self),
                    deliveredAt: try c[8].decode(Date?.self), attemptLog: [], resentFrom: try c[9].decode(UUID?.self)
                )
                listed.append(ListedDelivery(
                    delivery: record, type: try c[10].decode(String.self), source: try c[11].decode(String.self),
                    subject: try c[12].decode(String?.self)
                ))
            }
            let withLogs = try await withAttempts(listed.map(\.delivery))
            for index in listed.indices { listed[index].delivery = withLogs[index] }
            return listed
        }
    }

    /// How many deliveries match `filter`.
    public func countDeliveries(_ filter: DeliveryFilter) async throws -> Int {
        var statement = FilteredQuery(
            "SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE true"
        )
        statement.conditions(filter)
        return try await run {
            for try await count in try await client.query(statement.query, logger: logger).decode(Int.self) {
                return count
            }
            return 0
        }
    }

    /// Makes one dead (or waiting) delivery due now, and wakes the relays.
    public func retryDelivery(id: UUID) async throws -> RetryResult {
        try await run {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    WITH target AS (SELECT id, status FROM deliveries WHERE id = \(id) FOR UPDATE),
                    queued AS (
                        UPDATE deliveries d SET status = 'pending', next_attempt_at = now(), updated_at = now()
                        FROM target WHERE d.id = target.id AND target.status IN ('dead', 'pending')
                        RETURNING d.id
                    ), steps AS (
                        -- A dead vendor delivery failed its job step: reopen it for the new outcome to settle.
                        UPDATE job_steps j SET status = 'pending', error = NULL, updated_at = now()
                        FROM queued WHERE j.delivery_id = queued.id AND j.status = 'failed'
                    )
                    SELECT target.status, (SELECT count(*) FROM queued) FROM target
                    """,
                    logger: logger
                )
                for try await (status, queued) in rows.decode((String, Int).self) {
                    guard queued == 1 else { return .notRetryable(DeliveryStatus(rawValue: status) ?? .delivering) }
                    try await connection.query("SELECT pg_notify(\(Self.notifyChannel), '')", logger: logger)
                    return .queued
                }
                return .notFound
            }
        }
    }

    /// Returns up to `limit` dead deliveries matching `filter` with ids after `after` to
    /// pending, due now, and wakes the relays. Returns the ids it queued, in id order. A row
    /// another action holds is skipped, not waited for.
    public func redriveBatch(_ filter: DeliveryFilter, after: UUID?, limit: Int) async throws -> [UUID] {
        var dead = filter
        dead.status = .dead
        var statement = FilteredQuery(
            """
            WITH picked AS (
                SELECT d.id FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE true
            """
        )
        statement.conditions(dead)
        if let after {
            statement.sql(" AND d.id > ")
            statement.bind(after)
        }
        statement.sql(" ORDER BY d.id LIMIT ")
        statement.bind(limit)
        statement.sql(
            """
                 FOR UPDATE OF d SKIP LOCKED
            ), queued AS (
                UPDATE deliveries d SET status = 'pending', next_attempt_at = now(), updated_at = now()
                FROM picked WHERE d.id = picked.id
                RETURNING d.id
            ), steps AS (
                -- A dead vendor delivery failed its job step: reopen it for the new outcome to settle.
                UPDATE job_steps j SET status = 'pending', error = NULL, updated_at = now()
                FROM queued WHERE j.delivery_id = queued.id AND j.status = 'failed'
            )
            SELECT id FROM queued
            UNION ALL
            SELECT NULL FROM (SELECT pg_notify(
            """
        )
        statement.bind(Self.notifyChannel)
        statement.sql(", '') FROM (SELECT 1 FROM queued LIMIT 1) q) n")
        return try await run {
            var ids: [UUID] = []
            for try await id in try await client.query(statement.query, logger: logger).decode(UUID?.self) {
                if let id { ids.append(id) }
            }
            return ids.sorted { $0.uuidString < $1.uuidString }
        }
    }

    /// Copies up to `limit` delivered deliveries matching `filter` with ids after `after` as
    /// new pending deliveries to `destination`, each linked to its original, and wakes the
    /// relays. Returns `(original, copy)` pairs in original id order.
    public func resendBatch(_ filter: DeliveryFilter, to destination: String, after: UUID?, limit: Int) async throws
        -> [(original: UUID, copy: UUID)]
    {
        var delivered = filter
        delivered.status = .delivered
        var statement = FilteredQuery(
            "SELECT d.id, d.message_id, m.subject FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE true"
        )
        statement.conditions(delivered)
        if let after {
            statement.sql(" AND d.id > ")
            statement.bind(after)
        }
        statement.sql(" ORDER BY d.id LIMIT ")
        statement.bind(limit)
        let ordered = orderedDestinations.contains(destination)
        return try await run {
            try await client.withTransaction(logger: logger) { connection in
                var originals: [UUID] = [], messages: [UUID] = [], keys: [String] = []
                for try await (id, message, subject) in try await connection.query(statement.query, logger: logger)
                    .decode((UUID, UUID, String?).self)
                {
                    originals.append(id)
                    messages.append(message)
                    keys.append(ordered ? subject ?? "" : "")
                }
                guard !originals.isEmpty else { return [] }
                let copies = originals.map { _ in UUIDv7.make() }
                try await connection.query(
                    """
                    INSERT INTO deliveries (id, message_id, destination, status, ordering_key, resent_from)
                    SELECT r.id, r.message_id, \(destination), 'pending', nullif(r.ordering_key, ''), r.original
                    FROM unnest(\(copies)::uuid[], \(messages)::uuid[], \(keys)::text[], \(originals)::uuid[])
                        AS r(id, message_id, ordering_key, original)
                    """,
                    logger: logger
                )
                try await connection.query("SELECT pg_notify(\(Self.notifyChannel), '')", logger: logger)
                return Array(zip(originals, copies)).map { (original: $0.0, copy: $0.1) }
            }
        }
    }
}
