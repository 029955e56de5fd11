import Foundation
import PostgresNIO

extension OutboxStore {
    /// Commits a batch of submissions atomically: each new message, its deliveries, its dedup
    /// key, its job steps and inbound request, and one NOTIFY if anything was queued. Results come back in input order. A
    /// submission whose dedup key exists (committed earlier, or earlier in this same batch)
    /// writes nothing and is answered with the original id.
    ///
    /// The whole batch is ONE prepared statement (``AcceptStatement``: data-modifying CTEs) in its
    /// own implicit transaction: one round trip and one commit, instead of BEGIN, an INSERT per
    /// table, NOTIFY and COMMIT.
    public func accept(_ batch: [Submission]) async throws -> [AcceptResult] {
        guard !batch.isEmpty else { return [] }
        let (statement, planned) = acceptStatement(for: batch)
        return try await run {
            let stored = try await Self.storedIds(try await client.execute(statement, logger: logger))
            return try await answers(batch, planned: planned, stored: stored)
        }
    }

    /// The statement for `batch`, with the deliveries it will create for each submission.
    func acceptStatement(for batch: [Submission]) -> (AcceptStatement, planned: [[AcceptedDelivery]]) {
        var deliveryIds: [UUID] = [], deliveryMessages: [UUID] = [], deliveryDestinations: [String] = []
        var planned: [[AcceptedDelivery]] = []
        var steps: [(deliveryId: UUID, messageId: UUID, vendor: String, mode: String)] = []
        var orderingKeys: [String] = []
        for submission in batch {
            planned.append(submission.destinations.map { destination in
                let id = UUIDv7.make()
                deliveryIds.append(id)
                deliveryMessages.append(submission.message.id)
                deliveryDestinations.append(destination)
                orderingKeys.append(orderedDestinations.contains(destination) ? submission.message.subject ?? "" : "")
                if let mode = submission.jobVendors[destination] {
                    steps.append((id, submission.message.id, destination, mode.name))
                }
                return AcceptedDelivery(id: id, destination: destination)
            })
        }
        let statement = AcceptStatement(
            batch: batch, deliveryIds: deliveryIds, deliveryMessages: deliveryMessages,
            deliveryDestinations: deliveryDestinations, channel: Self.notifyChannel, steps: steps,
            orderingKeys: orderingKeys
        )
        return (statement, planned)
    }

    /// The ids of the messages the statement inserted.
    static func storedIds(_ rows: some AsyncSequence<UUID?, any Error>) async throws -> Set<UUID> {
        var stored = Set<UUID>()
        for try await id in rows {
            if let id { stored.insert(id) }
        }
        return stored
    }

    /// Each submission's answer, in input order, once its batch committed.
    func answers(_ batch: [Submission], planned: [[AcceptedDelivery]], stored: Set<UUID>) async throws -> [AcceptResult] {
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
