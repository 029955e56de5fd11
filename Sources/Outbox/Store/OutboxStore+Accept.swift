import Foundation
import PostgresNIO

extension OutboxStore {
    /// Commits a batch of submissions in ONE transaction: each new message, its deliveries and
    /// its dedup key, and a single NOTIFY if anything is due. Results come back in input order.
    /// A submission whose dedup key exists (committed earlier, or earlier in this same batch)
    /// writes nothing and is answered with the original id.
    public func accept(_ batch: [Submission]) async throws -> [AcceptResult] {
        guard !batch.isEmpty else { return [] }
        return try await run {
            try await client.withTransaction(logger: logger) { connection in
                let originals = try await claimDedupKeys(batch, on: connection)
                var fresh: [Submission] = []
                var results: [AcceptResult] = []
                var deliveryIds: [UUID] = [], deliveryMessages: [UUID] = [], deliveryDestinations: [String] = []
                for submission in batch {
                    if let key = submission.dedup, let original = originals[key], original != submission.message.id {
                        results.append(.duplicate(originalId: original))
                        continue
                    }
                    fresh.append(submission)
                    var accepted: [AcceptedDelivery] = []
                    for destination in submission.destinations {
                        let id = UUIDv7.make()
                        deliveryIds.append(id)
                        deliveryMessages.append(submission.message.id)
                        deliveryDestinations.append(destination)
                        accepted.append(AcceptedDelivery(id: id, destination: destination))
                    }
                    results.append(.accepted(id: submission.message.id, deliveries: accepted))
                }
                try await insertMessages(fresh.map(\.message), on: connection)
                if !deliveryIds.isEmpty {
                    try await connection.query(
                        """
                        INSERT INTO deliveries (id, message_id, destination, status)
                        SELECT id, message_id, destination, 'pending'
                        FROM unnest(\(deliveryIds)::uuid[], \(deliveryMessages)::uuid[], \(deliveryDestinations)::text[])
                            AS d(id, message_id, destination)
                        """,
                        logger: logger
                    )
                    try await connection.query("SELECT pg_notify(\(Self.notifyChannel), '')", logger: logger)
                }
                return results
            }
        }
    }

    /// Inserts the batch's dedup keys, keeping the first of each, and returns the message id
    /// every key belongs to (the submission's own id where it was new).
    private func claimDedupKeys(_ batch: [Submission], on connection: PostgresConnection) async throws
        -> [DedupKey: UUID]
    {
        let keyed = batch.compactMap { submission in submission.dedup.map { ($0, submission.message.id) } }
        guard !keyed.isEmpty else { return [:] }
        let scopes = keyed.map(\.0.scope), keys = keyed.map(\.0.key), ids = keyed.map(\.1)
        // ON CONFLICT DO NOTHING keeps the first row of a key repeated within the batch, and waits
        // for a concurrent transaction holding the same key, so the SELECT sees the winner.
        try await connection.query(
            """
            INSERT INTO inbound_keys (scope, key, message_id)
            SELECT * FROM unnest(\(scopes)::text[], \(keys)::text[], \(ids)::uuid[])
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
        var owners: [DedupKey: UUID] = [:]
        let rows = try await connection.query(
            """
            SELECT k.scope, k.key, k.message_id FROM inbound_keys k
            JOIN unnest(\(scopes)::text[], \(keys)::text[]) AS wanted(scope, key)
              ON k.scope = wanted.scope AND k.key = wanted.key
            """,
            logger: logger
        )
        for try await (scope, key, id) in rows.decode((String, String, UUID).self) {
            owners[DedupKey(scope: scope, key: key)] = id
        }
        return owners
    }

    private func insertMessages(_ messages: [CanonicalMessage], on connection: PostgresConnection) async throws {
        guard !messages.isEmpty else { return }
        // Arrays cannot carry NULL elements through this driver: empty strings stand for NULL.
        try await connection.query(
            """
            INSERT INTO messages (id, source, type, subject, time, datacontenttype, data, idempotency_key,
                                  content_hash, received_at, correlation_id)
            SELECT id, source, type, nullif(subject, ''), time, datacontenttype, data::json,
                   nullif(idempotency_key, ''), content_hash, received_at, nullif(correlation_id, '')
            FROM unnest(
                \(messages.map(\.id))::uuid[], \(messages.map(\.source))::text[], \(messages.map(\.type))::text[],
                \(messages.map { $0.subject ?? "" })::text[], \(messages.map(\.time))::timestamptz[],
                \(messages.map(\.dataContentType))::text[], \(messages.map(\.data))::text[],
                \(messages.map { $0.idempotencyKey ?? "" })::text[], \(messages.map(\.contentHash))::text[],
                \(messages.map(\.receivedAt))::timestamptz[], \(messages.map { $0.correlationId ?? "" })::text[]
            ) AS m(id, source, type, subject, time, datacontenttype, data, idempotency_key, content_hash,
                   received_at, correlation_id)
            """,
            logger: logger
        )
    }
}
