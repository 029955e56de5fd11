import Foundation
import Logging
import Outbox
import ServiceLifecycle
import Synchronization

/// The live database tokens, in memory, so authenticating a request costs no round trip.
///
/// Loaded when the service starts and reloaded on every `hub_tokens` NOTIFY (sent by each
/// create and revoke in its own transaction) and on every reconnect of the listening
/// connection. A digest the table lacks is looked up once (a token made a moment ago works at
/// once); a miss is remembered for ``missMemory`` so unknown tokens cannot turn every request
/// into a query.
final class TokenDirectory: Service, Sendable {
    static let missMemory: Duration = .seconds(2)
    /// Bounds the remembered misses: a flood of random tokens cannot grow memory without limit.
    static let maxMisses = 10_000

    private struct State {
        var live: [Data: Principal] = [:]
        var misses: [Data: ContinuousClock.Instant] = [:]
        /// Bumped by every reload: a lookup that raced a reload must not resurrect what it dropped.
        var generation = 0
    }

    private let store: OutboxStore
    private let logger: Logger
    private let state = Mutex(State())
    private let clock = ContinuousClock()

    init(store: OutboxStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Replaces the table with what the database holds now.
    func reload() async throws {
        let live = try await store.liveTokenDigests()
        var table: [Data: Principal] = [:]
        for token in live {
            guard let role = Role(rawValue: token.role) else { continue }
            table[token.digest] = Principal(name: token.name, roles: [role])
        }
        state.withLock { state in
            state.live = table
            state.misses = [:]
            state.generation += 1
        }
    }

    /// The principal of a live token with this digest, or nil.
    func principal(forDigest digest: Data) async throws -> Principal? {
        let now = clock.now
        enum Known { case hit(Principal), miss, unknown(generation: Int) }
        let known: Known = state.withLock { state in
            if let principal = state.live[digest] { return .hit(principal) }
            if let since = state.misses[digest], since + Self.missMemory > now { return .miss }
            return .unknown(generation: state.generation)
        }
        switch known {
        case .hit(let principal): return principal
        case .miss: return nil
        case .unknown(let generation):
            let found = try await store.liveToken(digest: digest)
            let principal = found.flatMap { token in Role(rawValue: token.role).map { Principal(name: token.name, roles: [$0]) } }
            state.withLock { state in
                guard state.generation == generation else { return }
                if let principal {
                    state.live[digest] = principal
                } else {
                    if state.misses.count >= Self.maxMisses { state.misses = [:] }
                    state.misses[digest] = now
                }
            }
            return principal
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.listen() }
    }

    /// Keeps one connection listening; every (re)connect reloads, since a change may have been
    /// missed while no connection listened.
    private func listen() async {
        var pause = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: OutboxStore.tokensChannel) { notifications in
                        try await self.reload()
                        pause = .milliseconds(200)
                        for try await _ in notifications {
                            try await self.reload()
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("token listen failed; retrying", metadata: ["hub.error": "\(error)"])
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }
}
