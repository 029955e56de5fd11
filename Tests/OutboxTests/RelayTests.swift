import Foundation
import HubTestSupport
import Outbox
import ServiceLifecycle
import Synchronization
import Testing

/// Counts what reaches it, per delivery id, and answers with a scripted verdict.
final class CountingConnector: Connector {
    let seen = Mutex<[UUID: Int]>([:])
    let verdict: @Sendable (ClaimedDelivery) -> DeliveryOutcome

    init(verdict: @escaping @Sendable (ClaimedDelivery) -> DeliveryOutcome = { _ in DeliveryOutcome(verdict: .delivered, httpStatus: 200) }) {
        self.verdict = verdict
    }

    func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome {
        seen.withLock { $0[delivery.id, default: 0] += 1 }
        return verdict(delivery)
    }
}

/// Runs relays until `body` returns, then stops them gracefully.
func withRelays(
    _ relays: [Relay], _ body: @Sendable () async throws -> Void
) async throws {
    let group = ServiceGroup(configuration: .init(services: relays.map { .init(service: $0) }, logger: testLogger()))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

@Suite struct RelayTests {
    @Test func twoRelaysDeliverEveryRowExactlyOnce() async throws {
        try await withStore { store, database in
            let connector = CountingConnector()
            let total = 2000
            for start in stride(from: 0, to: total, by: 250) {
                _ = try await store.accept((start..<start + 250).map { _ in submission() })
            }
            let relays = ["relay-a", "relay-b"].map { owner in
                Relay(
                    store: store,
                    destinations: [RelayDestination(name: "crm", connector: connector, concurrency: 16)],
                    configuration: RelayConfiguration(owner: owner, claimBatch: 50, pollInterval: .milliseconds(100)),
                    logger: testLogger()
                )
            }
            try await withRelays(relays) {
                try await eventually(timeout: .seconds(60), "all deliveries delivered") {
                    try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == total
                }
            }
            let seen = connector.seen.withLock { $0 }
            #expect(seen.count == total)
            #expect(seen.values.allSatisfy { $0 == 1 })
            let byRelay = try await database.scalar("SELECT count(DISTINCT relay) FROM delivery_attempts")
            #expect(byRelay == 2)
            #expect(try await database.scalar("SELECT count(*) FROM delivery_attempts") == total)
        }
    }

    @Test func gracefulShutdownFinishesAndRecordsInFlightDeliveries() async throws {
        try await withStore { store, database in
            let slow = SlowConnector()
            _ = try await store.accept((0..<5).map { _ in submission() })
            let relay = Relay(
                store: store, destinations: [RelayDestination(name: "crm", connector: slow, concurrency: 5)],
                configuration: RelayConfiguration(owner: "draining"), logger: testLogger()
            )
            try await withRelays([relay]) {
                try await eventually("deliveries in flight") { slow.started.withLock { $0 } == 5 }
            }
            // withRelays returned only after the relay stopped: everything in flight was recorded.
            #expect(try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 5)
        }
    }
}

final class SlowConnector: Connector {
    let started = Mutex(0)

    func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome {
        started.withLock { $0 += 1 }
        try? await Task.sleep(for: .milliseconds(500))
        return DeliveryOutcome(verdict: .delivered, httpStatus: 200)
    }
}
