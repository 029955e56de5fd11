import Synchronization

/// Thrown by ``withDeadline(_:operation:)`` when the operation did not finish in time.
public struct DeadlineExceeded: Error {}

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` once `limit` has
/// passed, whichever comes first. The operation is cancelled at the deadline.
///
/// The operation runs in a task of its own rather than a child task on purpose: a task group
/// waits for every child before returning, so an operation that does not react to
/// cancellation (a connection pool waiting for a server that will not answer) would hold the
/// caller past its deadline. Here the caller is answered on time and the stray work ends on
/// its own.
public func withDeadline<Value: Sendable>(
    _ limit: Duration, operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = DeadlineRace<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.waiter.withLock { $0 = continuation }
            let work = Task {
                let outcome: Result<Value, any Error>
                do { outcome = .success(try await operation()) } catch { outcome = .failure(error) }
                race.timer.withLock { $0 }?.cancel()
                race.finish(with: outcome)
            }
            race.work.withLock { $0 = work }
            let timer = Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                work.cancel()
                race.finish(with: .failure(DeadlineExceeded()))
            }
            race.timer.withLock { $0 = timer }
        }
    } onCancel: {
        race.work.withLock { $0 }?.cancel()
        race.timer.withLock { $0 }?.cancel()
    }
}

/// Who answers first: the work or the timer. The loser finds the continuation gone.
private final class DeadlineRace<Value: Sendable>: Sendable {
    let waiter = Mutex<CheckedContinuation<Value, any Error>?>(nil)
    let work = Mutex<Task<Void, Never>?>(nil)
    let timer = Mutex<Task<Void, Never>?>(nil)

    func finish(with outcome: Result<Value, any Error>) {
        waiter.withLock { $0.take() }?.resume(with: outcome)
    }
}
