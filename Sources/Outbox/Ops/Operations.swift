import Foundation
import Logging
import ServiceLifecycle

/// An action prepared for running: its audit record, and for a dry run a sample of its rows.
public struct PreparedAction: Sendable {
    public var action: OpsAction
    /// The first rows it matches (newest first); empty unless a dry run.
    public var sample: [ListedDelivery]
}

/// Ops actions on deliveries and destinations, each one recorded in the audit log. The HTTP
/// edge and the command line both act through this, so both audit and pace the same way.
public struct Operations: Sendable {
    public static let sampleSize = 20

    public let store: OutboxStore
    public let bulk: BulkSettings

    public init(store: OutboxStore, bulk: BulkSettings = BulkSettings()) {
        self.store = store
        self.bulk = bulk
    }

    /// Counts the rows `work` matches and audits the action. A dry run is recorded as done with
    /// nothing processed and comes back with a sample; otherwise the action is recorded as
    /// running, for ``perform(_:_:progress:)`` to carry out.
    public func prepare(_ work: BulkWork, actor: String, dryRun: Bool) async throws -> PreparedAction {
        let total = try await store.countDeliveries(work.matching)
        let sample = dryRun ? try await store.listDeliveries(work.matching, limit: Self.sampleSize) : []
        let action = OpsAction(
            actor: actor, action: work.name, filter: work.auditFilter, dryRun: dryRun, total: total,
            status: dryRun ? .done : .running, finishedAt: dryRun ? Date() : nil
        )
        try await store.recordAction(action)
        return PreparedAction(action: action, sample: sample)
    }

    /// Works through a prepared action's rows in batches at the rate cap, recording progress
    /// after each batch. Stops between batches on shutdown (interrupted) or a database failure
    /// (failed); what it reached stays done. Returns how it ended.
    @discardableResult
    public func perform(
        _ action: OpsAction, _ work: BulkWork, progress: @Sendable (Int) -> Void = { _ in }
    ) async -> OpsAction.Status {
        let clock = ContinuousClock()
        var bucket = TokenBucket(rate: bulk.rate, now: clock.now)
        let batch = max(1, min(bulk.batch, bulk.rate.burst))
        var after: UUID?
        var processed = 0
        do {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                // Wait for a whole batch's worth of tokens: fewer, larger statements.
                let wait = bucket.timeUntil(available: batch, now: clock.now)
                if wait > .zero { try await Task.sleep(for: wait) }
                let granted = bucket.take(upTo: batch, now: clock.now)
                let acted: [UUID]
                switch work {
                case .redrive(let filter):
                    acted = try await store.redriveBatch(filter, after: after, limit: granted)
                case .resend(let filter, let to):
                    acted = try await store.resendBatch(filter, to: to, after: after, limit: granted).map(\.original)
                }
                processed += acted.count
                after = acted.last ?? after
                try await store.updateProgress(ofAction: action.id, processed: processed)
                progress(processed)
                if acted.count < granted {
                    try await store.finishAction(action.id, status: .done, processed: processed)
                    return .done
                }
            }
            try await store.finishAction(action.id, status: .interrupted, processed: processed)
            return .interrupted
        } catch {
            store.logger.warning("ops action failed", metadata: [
                "hub.action.id": "\(action.id)", "hub.error": "\(error)",
            ])
            try? await store.finishAction(action.id, status: .failed, processed: processed, error: "\(error)")
            return .failed
        }
    }

    /// Makes one delivery due now; audited when it was queued.
    public func retry(delivery id: UUID, actor: String) async throws -> RetryResult {
        let result = try await store.retryDelivery(id: id)
        if result == .queued {
            try await store.recordAction(OpsAction(
                actor: actor, action: "retry", filter: .object(["id": .string(id.uuidString.lowercased())]),
                dryRun: false, total: 1, processed: 1, status: .done, finishedAt: Date()
            ))
        }
        return result
    }

    /// Pauses or resumes a destination; audited when it changed anything. Returns whether it did.
    @discardableResult
    public func setPaused(_ paused: Bool, destination: String, actor: String) async throws -> Bool {
        let changed = paused
            ? try await store.pause(destination: destination, by: actor)
            : try await store.resume(destination: destination)
        if changed {
            try await store.recordAction(OpsAction(
                actor: actor, action: paused ? "pause" : "resume",
                filter: .object(["destination": .string(destination)]), dryRun: false, total: 1, processed: 1,
                status: .done, finishedAt: Date()
            ))
        }
        return changed
    }
}
