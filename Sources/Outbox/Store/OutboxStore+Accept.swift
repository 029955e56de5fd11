import Foundation
import PostgresNIO

extension OutboxStore {
    /// Commits a batch of submissions atomically: each new message, its deliveries, its dedup
    /// key, its job steps and inbound request; then one NOTIFY if anything was queued. Results come back in input order. A
    /// submission whose dedup key exists (committed earlier, or earlier in this same batch)
    /// writes nothing and is answered with the original id.
    ///
    /// The whole batch is ONE prepared statement (``AcceptStatement``: data-modifying CTEs) in its
    /// own implicit transaction: one round trip and one commit, instead of BEGIN, an INSERT per
    /// table and COMMIT.
    ///
    /// With `dispatch` (this process also runs a relay), deliveries its lanes can start at once
    /// are written already leased to that relay and handed to it once the commit returns.
    public func accept(_ batch: [Submission], dispatch: DirectDispatch? = nil) async throws -> [AcceptResult] {
        guard !batch.isEmpty else { return [] }
        let (statement, planned) = acceptStatement(for: batch, dispatch: dispatch)
        let results: [AcceptResult]
        do {
            results = try await run {
                let (stored, leftPending) = try await Self.outcome(try await client.execute(statement, logger: logger))
                if leftPending { wakeRelays() }
                return try await answers(batch, planned: planned, stored: stored)
            }
        } catch {
            // Maybe committed after all (a lost answer): a leased row then waits for its lease to expire.
            for delivery in planned.joined() where delivery.status == .delivering { dispatch?.release(delivery.destination) }
            throw error
        }
        if let dispatch { hand(batch, planned: planned, results: results, to: dispatch) }
        return results
    }

    /// Starts the deliveries written leased, and gives back the reservations of duplicates (whose
    /// rows were not written).
    private func hand(
        _ batch: [Submission], planned: [[AcceptedDelivery]], results: [AcceptResult], to dispatch: DirectDispatch
    ) {
        for ((submission, deliveries), result) in zip(zip(batch, planned), results) {
            let stored = if case .accepted = result { true } else { false }
            for delivery in deliveries where delivery.status == .delivering {
                guard stored else {
                    dispatch.release(delivery.destination)
                    continue
                }
                dispatch.hand(ClaimedDelivery(
                    id: delivery.id, destination: delivery.destination, attempt: 1,
                    createdAt: submission.message.receivedAt, message: submission.message.asStored
                ))
            }
        }
    }

    /// The statement for `batch`, with the deliveries it will create for each submission.
    /// Deliveries `dispatch` reserved are planned `delivering`, the others `pending`.
    func acceptStatement(
        for batch: [Submission], dispatch: DirectDispatch? = nil
    ) -> (AcceptStatement, planned: [[AcceptedDelivery]]) {
        var deliveryIds: [UUID] = [], deliveryMessages: [UUID] = [], deliveryDestinations: [String] = []
        var planned: [[AcceptedDelivery]] = []
        var steps: [(deliveryId: UUID, messageId: UUID, vendor: String, mode: String)] = []
        var orderingKeys: [String] = [], leased: [Bool] = []
        for submission in batch {
            planned.append(submission.destinations.map { destination in
                let id = UUIDv7.make()
                deliveryIds.append(id)
                deliveryMessages.append(submission.message.id)
                deliveryDestinations.append(destination)
                let ordered = orderedDestinations.contains(destination)
                orderingKeys.append(ordered ? submission.message.subject ?? "" : "")
                // An ordered destination's claim is what keeps a subject's order: never skip it.
                let reserved = !ordered && dispatch?.reserve(destination) == true
                leased.append(reserved)
                if let mode = submission.jobVendors[destination] {
                    steps.append((id, submission.message.id, destination, mode.name))
                }
                return AcceptedDelivery(id: id, destination: destination, status: reserved ? .delivering : .pending)
            })
        }
        let statement = AcceptStatement(
            batch: batch, deliveryIds: deliveryIds, deliveryMessages: deliveryMessages,
            deliveryDestinations: deliveryDestinations, steps: steps,
            orderingKeys: orderingKeys, leased: leased, leaseOwner: dispatch?.owner ?? "",
            leaseMilliseconds: dispatch.map { Int($0.lease.seconds * 1000) } ?? 0
        )
        return (statement, planned)
    }

    /// The ids of the messages the statement inserted, and whether it left deliveries pending
    /// (relays are then woken by ``wakeRelays()`` once it has committed).
    static func outcome(_ rows: some AsyncSequence<UUID?, any Error>) async throws -> (stored: Set<UUID>, leftPending: Bool) {
        var stored = Set<UUID>(), leftPending = false
        for try await id in rows {
            if let id { stored.insert(id) } else { leftPending = true }
        }
        return (stored, leftPending)
    }

    /// Tells idle relays there are rows to claim (see ``RelayWakeup``).
    func wakeRelays() {
        wakeup.signal(client: client, logger: logger)
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
