import Foundation
import Outbox
import Testing

/// A deterministic generator so jitter bounds can be checked over many draws.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 10, initial: .milliseconds(200), max: .seconds(30), maxAge: .seconds(3600))
    let created = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func ceilingDoublesFromInitialUpToMax() {
        #expect(policy.ceiling(afterAttempt: 1) == .milliseconds(200))
        #expect(policy.ceiling(afterAttempt: 2) == .milliseconds(400))
        #expect(policy.ceiling(afterAttempt: 5) == .milliseconds(3200))
        #expect(policy.ceiling(afterAttempt: 9) == .seconds(30))
        #expect(policy.ceiling(afterAttempt: 500) == .seconds(30))
    }

    @Test func fullJitterStaysWithinZeroAndTheCeiling() {
        var generator = SeededGenerator(state: 42)
        var delays: [Double] = []
        for _ in 0..<2000 {
            guard case .retry(let at) = policy.decide(afterAttempt: 3, createdAt: created, now: created, using: &generator)
            else { Issue.record("expected a retry"); return }
            delays.append(at.timeIntervalSince(created))
        }
        #expect(delays.allSatisfy { $0 >= 0 && $0 <= 0.8 })
        // Full jitter spreads retries over the whole window rather than bunching them at the cap.
        #expect(delays.min()! < 0.1)
        #expect(delays.max()! > 0.7)
    }

    @Test func retryAfterIsHonouredEvenBeyondTheCeiling() {
        var generator = SeededGenerator(state: 7)
        let decision = policy.decide(
            afterAttempt: 1, createdAt: created, now: created, retryAfter: .seconds(120), using: &generator
        )
        #expect(decision == .retry(at: created.addingTimeInterval(120)))
    }

    @Test func givesUpAfterMaxAttempts() {
        let decision = policy.decide(afterAttempt: 10, createdAt: created, now: created)
        guard case .giveUp(let reason) = decision else { Issue.record("expected give up"); return }
        #expect(reason.contains("10 attempts"))
    }

    @Test func givesUpWhenTheNextTryWouldPassMaxAge() {
        let late = created.addingTimeInterval(3599.9)
        let decision = policy.decide(afterAttempt: 2, createdAt: created, now: late, retryAfter: .seconds(1))
        guard case .giveUp(let reason) = decision else { Issue.record("expected give up"); return }
        #expect(reason.contains("max_age"))
    }
}

@Suite struct UUIDv7Tests {
    @Test func carriesVersionVariantAndTime() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.123)
        let id = UUIDv7.make(at: now)
        #expect(id.uuid.6 >> 4 == 7)
        #expect(id.uuid.8 >> 6 == 0b10)
        let stamp = try #require(UUIDv7.timestamp(of: id))
        #expect(abs(stamp.timeIntervalSince(now)) < 0.001)
    }

    @Test func sortsByCreationTime() {
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = (0..<50).map { UUIDv7.make(at: base.addingTimeInterval(Double($0) * 0.002)) }
        #expect(ids.map(\.uuidString) == ids.map(\.uuidString).sorted())
    }

    @Test func idsOfOneMillisecondDifferInTheirRandomBits() {
        let now = Date()
        let ids = (0..<1_000).map { _ in UUIDv7.make(at: now) }
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids.map { UUIDv7.timestamp(of: $0) }).count == 1)
    }
}
