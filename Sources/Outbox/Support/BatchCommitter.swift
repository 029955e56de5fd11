/// Turns one-at-a-time callers into batched writes: `submit` queues an input and suspends until
/// a worker has committed the batch it landed in. `commit` returns one output per input, in order.
public final class BatchCommitter<Input: Sendable, Output: Sendable>: Sendable {
    private struct Pending: Sendable {
        var input: Input
        var continuation: CheckedContinuation<Output, any Error>
    }

    public typealias Commit = @Sendable ([Input]) async throws -> [Output]

    private let queue: BatchQueue<Pending>
    private let workers: Int
    private let commit: Commit
    private let refusal: @Sendable () -> any Error

    /// - Parameters:
    ///   - workers: batches committed concurrently.
    ///   - refusal: the error a submit gets once the committer is closed.
    public init(
        maxBatch: Int, workers: Int, refusal: @escaping @Sendable () -> any Error, commit: @escaping Commit
    ) {
        self.queue = BatchQueue(maxBatch: maxBatch)
        self.workers = workers
        self.commit = commit
        self.refusal = refusal
    }

    public func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            if !queue.push(Pending(input: input, continuation: continuation)) {
                continuation.resume(throwing: refusal())
            }
        }
    }

    /// Commits batches until ``close()`` has been called and the queue is drained.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<workers {
                group.addTask { await self.drain() }
            }
        }
    }

    /// Refuses new inputs; what is queued is still committed.
    public func close() { queue.close() }

    private func drain() async {
        while let batch = await queue.next() {
            do {
                let outputs = try await commit(batch.map(\.input))
                precondition(outputs.count == batch.count, "commit must answer every input")
                for (pending, output) in zip(batch, outputs) { pending.continuation.resume(returning: output) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }
}
