import Foundation
import ServiceLifecycle

/// Runs bulk ops actions in the background of a serving hub, so the request that started one
/// answers at once and its progress is read from the audit log while it runs. On shutdown,
/// running actions stop between batches and are recorded as interrupted.
public final class OpsActionRunner: Service, Sendable {
    public let operations: Operations
    private let queue: AsyncStream<(OpsAction, BulkWork)>
    private let enqueue: AsyncStream<(OpsAction, BulkWork)>.Continuation

    public init(operations: Operations) {
        self.operations = operations
        (queue, enqueue) = AsyncStream.makeStream()
    }

    /// Starts a prepared (not dry-run) action.
    public func start(_ action: OpsAction, _ work: BulkWork) { enqueue.yield((action, work)) }

    public func run() async throws {
        let operations = self.operations
        await withDiscardingTaskGroup { group in
            for await (action, work) in queue.cancelOnGracefulShutdown() {
                group.addTask { await operations.perform(action, work) }
            }
        }
    }
}
