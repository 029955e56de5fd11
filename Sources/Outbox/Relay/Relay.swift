import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Delivers outbox rows. Any number of relays may run against one database: each claims with
/// `FOR UPDATE SKIP LOCKED` under a lease, so a row is with at most one live relay, and a row
/// whose relay died is rescued when its lease expires (at-least-once).
///
/// On graceful shutdown (SIGTERM) it stops claiming, lets in-flight deliveries finish, records
/// their outcomes, and returns.
public final class Relay: Service, Sendable {
    private let store: OutboxStore
    private let destinations: [RelayDestination]
    private let configuration: RelayConfiguration
    private let logger: Logger
    /// Each destination's circuit breaker state, while this relay runs.
    public let circuits = CircuitBoard()
    /// Lets this process's intake hand new deliveries to this relay without a claim.
    public let dispatch: DirectDispatch
    private let paused = PausedDestinations()

    public init(
        store: OutboxStore, destinations: [RelayDestination], configuration: RelayConfiguration = RelayConfiguration(),
        logger: Logger
    ) {
        self.store = store
        self.destinations = destinations
        self.configuration = configuration
        self.dispatch = DirectDispatch(owner: configuration.owner, lease: configuration.lease)
        var logger = logger
        logger[metadataKey: "hub.relay"] = "\(configuration.owner)"
        self.logger = logger
    }

    public func run() async throws {
        let store = self.store, owner = configuration.owner, logger = self.logger
        let recorder = BatchCommitter<RecordedOutcome, Void>(
            maxBatch: 512, workers: 2, refusal: { StoreError.unavailable("relay is stopping") }
        ) { outcomes in
            try await Self.recordPersistently(outcomes, store: store, owner: owner, logger: logger)
            return outcomes.map { _ in () }
        }
        let lanes = destinations.map {
            DestinationLane(
                destination: $0, store: store, recorder: recorder, configuration: configuration, board: circuits,
                paused: paused, logger: logger
            )
        }
        // The paused set is read before the first claim, then reloaded off the claim path
        // whenever a pause or resume notifies and on every poll tick (coalesced).
        await refreshPaused(lanes)
        dispatch.attach(lanes)
        defer { dispatch.detach() }
        let (reloads, reloadPaused) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        logger.info("relay started", metadata: ["hub.destinations": "\(destinations.map(\.name))"])
        async let recorded: Void = recorder.run()
        await withTaskGroup(of: Void.self) { background in
            background.addTask { for await _ in reloads { await self.refreshPaused(lanes) } }
            background.addTask { await self.listen(waking: lanes, reloadPaused: reloadPaused) }
            background.addTask { await self.tick(waking: lanes, reloadPaused: reloadPaused) }
            background.addTask { await self.rescue(waking: lanes) }
            await withGracefulShutdownHandler {
                guard !lanes.isEmpty else {
                    // No destinations: nothing to claim, but maintenance runs until shutdown.
                    try? await gracefulShutdown()
                    return
                }
                await withDiscardingTaskGroup { group in
                    for lane in lanes {
                        group.addTask { await lane.run() }
                    }
                }
            } onGracefulShutdown: {
                for lane in lanes { lane.stop() }
            }
            background.cancelAll()
        }
        recorder.close()
        await recorded
        logger.info("relay stopped")
    }

    /// Records outcomes, retrying while the database is away. Gives up only when shutting down:
    /// the rows then stay leased, and are delivered again after the lease expires.
    private static func recordPersistently(
        _ outcomes: [RecordedOutcome], store: OutboxStore, owner: String, logger: Logger
    ) async throws {
        var pause = Duration.milliseconds(100)
        while true {
            do {
                return try await store.record(outcomes, owner: owner)
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { throw error }
                logger.warning("recording outcomes failed; retrying", metadata: ["hub.error": "\(error)"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    /// Wakes every lane whenever a committed batch notifies, keeping one connection listening.
    private func listen(waking lanes: [DestinationLane], reloadPaused: AsyncStream<Void>.Continuation) async {
        var pause = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    try await connection.listen(on: OutboxStore.notifyChannel) { notifications in
                        // Anything committed while we were not listening is found by this wake.
                        reloadPaused.yield()
                        for lane in lanes { lane.wake() }
                        pause = .milliseconds(200)
                        for try await notification in notifications {
                            if notification.payload == OutboxStore.pausedChangedPayload { reloadPaused.yield() }
                            for lane in lanes { lane.wake() }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listen failed; polling meanwhile", metadata: ["hub.error": "\(error)"])
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// The fallback for lost notifications and for retries coming due.
    private func tick(waking lanes: [DestinationLane], reloadPaused: AsyncStream<Void>.Continuation) async {
        while (try? await Task.sleep(for: configuration.pollInterval)) != nil {
            reloadPaused.yield()
            for lane in lanes { lane.wake() }
        }
    }

    /// Reloads which destinations ops paused, and wakes the lanes of those resumed. On failure
    /// the last known set stays in force until the next try.
    private func refreshPaused(_ lanes: [DestinationLane]) async {
        guard !lanes.isEmpty else { return }
        do {
            let current = try await store.pausedDestinations()
            let resumed = paused.replace(with: current)
            for lane in lanes {
                lane.pausedGauge.record(current.contains(lane.destination.name) ? 1 : 0)
                if resumed.contains(lane.destination.name) { lane.wake() }
            }
        } catch {
            logger.warning("reading paused destinations failed", metadata: ["hub.error": "\(error)"])
        }
    }

    /// Maintenance on every rescue tick: expired leases back to pending, overdue async jobs failed.
    private func rescue(waking lanes: [DestinationLane]) async {
        repeat {
            do {
                let rescued = try await store.rescueExpiredLeases()
                if rescued > 0 {
                    logger.warning("rescued deliveries whose relay stopped reporting", metadata: ["hub.count": "\(rescued)"])
                    for lane in lanes { lane.wake() }
                }
                let overdue = try await store.failOverdueJobs()
                if overdue > 0 {
                    logger.warning("jobs failed: no vendor callback by the deadline", metadata: ["hub.count": "\(overdue)"])
                }
            } catch {
                logger.warning("lease rescue failed", metadata: ["hub.error": "\(error)"])
            }
        } while (try? await Task.sleep(for: configuration.rescueInterval)) != nil
    }
}
