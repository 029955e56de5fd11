import Foundation

/// When to try a failed delivery again, and when to stop: exponential backoff with full jitter
/// (a random delay between zero and the capped exponential), bounded by attempts and by age.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initial: Duration
    public var max: Duration
    /// A delivery whose next try would fall later than this after it was created is dead instead.
    public var maxAge: Duration

    public init(
        maxAttempts: Int = 10, initial: Duration = .milliseconds(200), max: Duration = .seconds(30),
        maxAge: Duration = .seconds(24 * 3600)
    ) {
        self.maxAttempts = maxAttempts
        self.initial = initial
        self.max = max
        self.maxAge = maxAge
    }

    public enum Decision: Sendable, Equatable {
        case retry(at: Date)
        case giveUp(reason: String)
    }

    /// The cap of the delay after failed try number `attempt` (1-based): initial × 2^(attempt−1), at most `max`.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = Swift.max(attempt - 1, 0)
        guard exponent < 32 else { return max }
        return Swift.min(initial * (1 << exponent), max)
    }

    /// Decides what follows failed try number `attempt` of a delivery created at `createdAt`.
    /// A `Retry-After` from the destination is honoured: the next try is no sooner than it asks.
    public func decide(
        afterAttempt attempt: Int, createdAt: Date, now: Date, retryAfter: Duration? = nil,
        using generator: inout some RandomNumberGenerator
    ) -> Decision {
        guard attempt < maxAttempts else {
            return .giveUp(reason: "gave up after \(attempt) attempts (max_attempts \(maxAttempts))")
        }
        let jittered = Double.random(in: 0...ceiling(afterAttempt: attempt).seconds, using: &generator)
        let delay = Swift.max(jittered, retryAfter?.seconds ?? 0)
        let next = now.addingTimeInterval(delay)
        guard next.timeIntervalSince(createdAt) <= maxAge.seconds else {
            return .giveUp(reason: "gave up: the next attempt would be past max_age \(maxAge)")
        }
        return .retry(at: next)
    }

    public func decide(afterAttempt attempt: Int, createdAt: Date, now: Date, retryAfter: Duration? = nil) -> Decision {
        var generator = SystemRandomNumberGenerator()
        return decide(afterAttempt: attempt, createdAt: createdAt, now: now, retryAfter: retryAfter, using: &generator)
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
