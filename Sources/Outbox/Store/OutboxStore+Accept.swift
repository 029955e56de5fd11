import Foundation
import PostgresNIO

extension OutboxStore {
    /// Commits a batch of submissions atomically: each new message, its deliveries and its dedup
    /// key, and one NOTIFY if anything was queued. Results come back in input order. A
    /// submission whose dedup key exists (committed earlier, or earlier in this same batch)
    /// writes nothing and is answered with the original id.
    ///
    /// The whole batch is ONE statement (data-modifying CTEs) in its own implicit transaction:
    /// one round trip and one commit, instead of BEGIN, an INSERT per table, NOTIFY and COMMIT.
    public func accept(_ batch: [Submission]) async throws -> [AcceptResult] {
        guard !batch.isEmpty else { return [] }
        var deliveryIds: [UUID] = [], deliveryMessages: [UUID] = [], deliveryDestinations: [String] = []
        var planned: [[AcceptedDelivery]] = []
        for submission in batch {
            planned.append(submission.destinations.map { destination in
                let id = UUIDv7.make()
                deliveryIds.append(id)
                deliveryMessages.append(submission.message.id)
                deliveryDestinations.append(destination)
                return AcceptedDelivery(id: id, destination: destination)
            })
        }
        let keyed = batch.filter { $0.dedup != nil }
        let messages = batch.map(\.message)
        return try await run {
            let rows = try await client.query(
                """
                WITH keys AS (
                    INSERT INTO inbound_keys (scope, key, message_id)
                    SELECT * FROM unnest(\(keyed.map { $0.dedup!.scope })::text[], \(keyed.map { $0.dedup!.key })::text[],
                                         \(keyed.map(\.message.id))::uuid[])
                    ON CONFLICT DO NOTHING
                    RETURNING message_id
                ), fresh AS (
                    SELECT * FROM unnest(
                        \(messages.map(\.id))::uuid[], \(messages.map(\.source))::text[], \(messages.map(\.type))::text[],
                        \(messages.map { $0.subject ?? "" })::text[], \(messages.map(\.time))::timestamptz[],
                        \(messages.map(\.dataContentType))::text[], \(messages.map(\.data))::text[],
                        \(messages.map { $0.idempotencyKey ?? "" })::text[], \(messages.map(\.contentHash))::text[],
                        \(messages.map(\.receivedAt))::timestamptz[], \(messages.map { $0.correlationId ?? "" })::text[],
                        \(batch.map { $0.dedup != nil })::boolean[]
                    ) AS m(id, source, type, subject, time, datacontenttype, data, idempotency_key, content_hash,
                           received_at, correlation_id, keyed)
                    WHERE NOT m.keyed OR m.id IN (SELECT message_id FROM keys)
                ), inserted AS (
                    -- Arrays cannot carry NULL elements through this driver: empty strings stand for NULL.
                    INSERT INTO messages (id, source, type, subject, time, datacontenttype, data, idempotency_key,
                                          content_hash, received_at, correlation_id)
                    SELECT id, source, type, nullif(subject, ''), time, datacontenttype, data::json,
                           nullif(idempotency_key, ''), content_hash, received_at, nullif(correlation_id, '')
                    FROM fresh
                    RETURNING id
                ), queued AS (
                    INSERT INTO deliveries (id, message_id, destination, status)
                    SELECT d.id, d.message_id, d.destination, 'pending'
                    FROM unnest(\(deliveryIds)::uuid[], \(deliveryMessages)::uuid[], \(deliveryDestinations)::text[])
                        AS d(id, message_id, destination)
                    WHERE d.message_id IN (SELECT id FROM inserted)
                    RETURNING 1
                )
                SELECT id FROM inserted
                UNION ALL
                SELECT NULL FROM (SELECT pg_notify(\(Self.notifyChannel), '') FROM (SELECT 1 FROM queued LIMIT 1) q) n
                """,
                logger: logger
            )
            var stored = Set<UUID>()
            for try await id in rows.decode(UUID?.self) {
                if let id { stored.insert(id) }
            }
            let duplicates = batch.filter { !stored.contains($0.message.id) }.compactMap(\.dedup)
            let originals = try await owners(of: duplicates)
            return zip(batch, planned).map { submission, deliveries in
                if stored.contains(submission.message.id) {
                    return .accepted(id: submission.message.id, deliveries: deliveries)
                }
                // Not stored means its key was taken: by an earlier commit, or earlier in this batch.
                return .duplicate(originalId: submission.dedup.flatMap { originals[$0] } ?? submission.message.id)
            }
        }
    }

    /// The message each dedup key belongs to. A separate statement on purpose: it must see keys
    /// that concurrent transactions committed while the insert waited on them.
    private func owners(of keys: [DedupKey]) async throws -> [DedupKey: UUID] {
        guard !keys.isEmpty else { return [:] }
        var owners: [DedupKey: UUID] = [:]
        let rows = try await client.query(
            """
            SELECT k.scope, k.key, k.message_id FROM inbound_keys k
            JOIN unnest(\(keys.map(\.scope))::text[], \(keys.map(\.key))::text[]) AS wanted(scope, key)
              ON k.scope = wanted.scope AND k.key = wanted.key
            """,
            logger: logger
        )
        for try await (scope, key, id) in rows.decode((String, String, UUID).self) {
            owners[DedupKey(scope: scope, key: key)] = id
        }
        return owners
    }
}
