import Synchronization

/// A many-producer queue drained in batches. A consumer that finds the queue empty waits; one
/// that comes back from a slow write finds everything that arrived meanwhile and takes it in one
/// go. That is group commit: the busier the hub, the larger each transaction, the fewer fsyncs.
public final class BatchQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiters: [CheckedContinuation<[Element]?, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int

    public init(maxBatch: Int) {
        precondition(maxBatch > 0)
        self.maxBatch = maxBatch
    }

    /// Adds an element; false once the queue is closed (the element was not taken).
    @discardableResult
    public func push(_ element: Element) -> Bool {
        let outcome: (accepted: Bool, waiter: CheckedContinuation<[Element]?, Never>?) = state.withLock { state in
            guard !state.closed else { return (false, nil) }
            if !state.waiters.isEmpty { return (true, state.waiters.removeFirst()) }
            state.items.append(element)
            return (true, nil)
        }
        outcome.waiter?.resume(returning: [element])
        return outcome.accepted
    }

    /// Up to `maxBatch` elements, waiting while there are none; nil once closed and drained.
    public func next() async -> [Element]? {
        await withCheckedContinuation { continuation in
            let ready: [Element]?? = state.withLock { state in
                if !state.items.isEmpty {
                    let count = min(maxBatch, state.items.count)
                    let batch = Array(state.items.prefix(count))
                    state.items.removeFirst(count)
                    return .some(batch)
                }
                if state.closed { return .some(nil) }
                state.waiters.append(continuation)
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Refuses further pushes; consumers drain what is queued, then get nil.
    public func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}
