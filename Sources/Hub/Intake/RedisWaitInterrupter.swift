import ServiceLifecycle
import Connectors
import Synchronization

/// Lets graceful shutdown wake a source that is waiting on Redis for its next record, and only
/// then: a source that is committing or acknowledging finishes that first and then sees `isStopping`.
final class RedisWaitInterrupter: Sendable {
    private struct State {
        var waitingOn: RedisConnection?
        var stopping = false
    }

    private let state = Mutex(State())

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Runs `wait` (a blocking read on `connection`) so that ``stop()`` can cut it short.
    func waiting<T: Sendable>(on connection: RedisConnection, _ wait: () async throws -> T) async throws -> T {
        let stopping = state.withLock { state in
            if !state.stopping { state.waitingOn = connection }
            return state.stopping
        }
        if stopping { throw CancellationError() }
        defer { state.withLock { $0.waitingOn = nil } }
        return try await wait()
    }

    func stop() {
        state.withLock { state in
            state.stopping = true
            state.waitingOn?.interrupt()
        }
    }
}

extension RedisWaitInterrupter {
    /// Runs `body` with a fresh interrupter until it returns; a graceful shutdown or a cancellation
    /// stops the interrupter, which wakes a read blocked in hiredis.
    static func run(_ body: (RedisWaitInterrupter) async -> Void) async {
        let interrupter = RedisWaitInterrupter()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await body(interrupter)
            } onGracefulShutdown: {
                interrupter.stop()
            }
        } onCancel: {
            interrupter.stop()
        }
    }
}
