import Synchronization

/// At most `capacity` logged-in sessions to one server, reused: a task borrows one, or waits for
/// one to come back, and returns it afterwards; a broken session is dropped and its slot freed.
final class SFTPSessionPool: Sendable {
    private struct State {
        var idle: [SFTPSession] = []
        /// Sessions open or being opened, idle or lent out.
        var count = 0
        var opened = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiter: UInt64 = 0
    }

    private enum Step {
        case use(SFTPSession)
        case open
        case wait
    }

    let configuration: SFTPClient.Configuration
    private let state = Mutex(State())

    init(configuration: SFTPClient.Configuration) {
        self.configuration = configuration
    }

    /// How many sessions this pool has logged in so far.
    var sessionsOpened: Int { state.withLock { $0.opened } }

    /// A session, and whether it was used before (a reused one may have been closed by the server
    /// while idle).
    func borrow() async throws -> (session: SFTPSession, reused: Bool) {
        while true {
            try Task.checkCancellation()
            let step: Step = state.withLock { state in
                if let session = state.idle.popLast() { return .use(session) }
                if state.count < configuration.poolSize {
                    state.count += 1
                    return .open
                }
                return .wait
            }
            switch step {
            case .use(let session):
                return (session, true)
            case .open:
                do {
                    let session = try await SFTPSession.open(configuration)
                    state.withLock { $0.opened += 1 }
                    return (session, false)
                } catch {
                    release(nil)
                    throw error
                }
            case .wait:
                try await waitForReturn()
            }
        }
    }

    /// Gives a healthy session back for the next borrower.
    func giveBack(_ session: SFTPSession) {
        release(session)
    }

    /// Closes a session that failed and frees its slot.
    func discard(_ session: SFTPSession) {
        session.discard()
        release(nil)
    }

    private func release(_ session: SFTPSession?) {
        let waiter = state.withLock { state in
            if let session { state.idle.append(session) } else { state.count -= 1 }
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst().continuation
        }
        waiter?.resume()
    }

    private func waitForReturn() async throws {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state in
                    if Task.isCancelled { return true }
                    state.waiters.append((id, continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex(where: { $0.id == id }).map { state.waiters.remove(at: $0).continuation }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
