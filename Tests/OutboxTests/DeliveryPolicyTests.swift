import Foundation
import HubTestSupport
import Synchronization
import Testing

@testable import Outbox

/// Rate limits and circuit breakers: the rules on their own with a controlled clock, then
/// through a relay against Postgres.
@Suite struct DeliveryPolicyTests {
    let start = ContinuousClock.now

    @Test func aBucketGivesItsBurstThenItsRate() {
        var bucket = TokenBucket(rate: RateLimit(perSecond: 10, burst: 5), now: start)
        #expect(bucket.take(upTo: 8, now: start) == 5)
        #expect(bucket.take(upTo: 1, now: start) == 0)
        #expect(bucket.timeUntilNext(now: start) == .milliseconds(100))
        #expect(bucket.take(upTo: 8, now: start + .milliseconds(300)) == 3)
        bucket.giveBack(2)
        #expect(bucket.take(upTo: 8, now: start + .milliseconds(300)) == 2)
        #expect(bucket.take(upTo: 100, now: start + .seconds(60)) == 5)  // never more than the burst
    }

    @Test func aBreakerOpensAfterConsecutiveFailuresProbesAndCloses() {
        var breaker = CircuitBreaker(policy: CircuitBreakerPolicy(failures: 3, coolDown: .seconds(10)))
        #expect(breaker.allowance(now: start) == nil)
        #expect(breaker.record(failed: true, now: start) == nil)
        #expect(breaker.record(failed: false, now: start) == nil)  // a success resets the count
        #expect(breaker.record(failed: true, now: start) == nil)
        #expect(breaker.record(failed: true, now: start) == nil)
        #expect(breaker.record(failed: true, now: start) == .open)
        #expect(breaker.allowance(now: start + .seconds(9)) == 0)
        #expect(breaker.timeUntilProbe(now: start + .seconds(9)) == .seconds(1))
        #expect(breaker.allowance(now: start + .seconds(10)) == 1)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.allowance(now: start + .seconds(10)) == 0)  // one probe at a time
        #expect(breaker.record(failed: true, now: start + .seconds(11)) == .open)  // the probe failed
        #expect(breaker.allowance(now: start + .seconds(20)) == 0)
        #expect(breaker.allowance(now: start + .seconds(21)) == 1)
        breaker.probeUnused()  // nothing was due: the next look probes again
        #expect(breaker.allowance(now: start + .seconds(21)) == 1)
        #expect(breaker.record(failed: false, now: start + .seconds(22)) == .closed)
        #expect(breaker.allowance(now: start + .seconds(22)) == nil)
    }

    /// Records when each try started and answers as `failing` says.
    final class TimedConnector: Connector {
        let starts = Mutex<[ContinuousClock.Instant]>([])
        let failing = Mutex(false)

        func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome {
            starts.withLock { $0.append(.now) }
            return failing.withLock { $0 }
                ? DeliveryOutcome(verdict: .retry(after: nil), httpStatus: 503, error: "HTTP 503")
                : DeliveryOutcome(verdict: .delivered, httpStatus: 200)
        }

        var count: Int { starts.withLock { $0.count } }
    }

    func relay(_ store: OutboxStore, _ destination: RelayDestination) -> Relay {
        Relay(
            store: store, destinations: [destination],
            configuration: RelayConfiguration(claimBatch: 50, pollInterval: .milliseconds(50)), logger: testLogger()
        )
    }

    @Test func aRateLimitHoldsOverFiveSeconds() async throws {
        try await withStore { store, _ in
            let connector = TimedConnector()
            _ = try await store.accept((0..<300).map { _ in submission() })
            let destination = RelayDestination(
                name: "crm", connector: connector, concurrency: 32, rate: RateLimit(perSecond: 20, burst: 5)
            )
            try await withRelays([relay(store, destination)]) {
                try await Task.sleep(for: .seconds(5.2))
            }
            let starts = connector.starts.withLock { $0 }
            let first = try #require(starts.first)
            let inFiveSeconds = starts.filter { $0 < first + .seconds(5) }.count
            // The burst of 5, then 20 a second: 105, and within 10% of the rate's 100.
            #expect((90...110).contains(inFiveSeconds), "\(inFiveSeconds) deliveries started in 5 s at 20/s")
        }
    }

    @Test func anOpenBreakerStopsClaimingUntilItsProbeSucceeds() async throws {
        try await withStore { store, database in
            let connector = TimedConnector()
            connector.failing.withLock { $0 = true }
            _ = try await store.accept((0..<10).map { _ in submission() })
            let destination = RelayDestination(
                name: "crm", connector: connector,
                retry: RetryPolicy(maxAttempts: 100, initial: .milliseconds(1), max: .milliseconds(5)), concurrency: 1,
                circuitBreaker: CircuitBreakerPolicy(failures: 3, coolDown: .milliseconds(800))
            )
            try await withRelays([relay(store, destination)]) {
                try await eventually("three failures") { connector.count >= 3 }
                try await Task.sleep(for: .milliseconds(400))
                #expect(connector.count == 3, "an open circuit claims nothing during its cool-down")
                try await eventually("the probe") { connector.count == 4 }
                try await Task.sleep(for: .milliseconds(400))
                #expect(connector.count == 4, "a failed probe opens the circuit again")
                connector.failing.withLock { $0 = false }
                try await eventually("every row delivered once the probe succeeds") {
                    try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 10
                }
            }
        }
    }
}
