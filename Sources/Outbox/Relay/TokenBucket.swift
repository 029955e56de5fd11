/// A token bucket: tokens accrue at `rate.perSecond` up to `rate.burst`; each delivery takes one.
public struct TokenBucket: Sendable {
    public let rate: RateLimit
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    public init(rate: RateLimit, now: ContinuousClock.Instant) {
        self.rate = rate
        tokens = Double(rate.burst)
        updated = now
    }

    /// Takes up to `wanted` whole tokens; returns how many it got.
    public mutating func take(upTo wanted: Int, now: ContinuousClock.Instant) -> Int {
        refill(now)
        let granted = min(wanted, Int(tokens))
        tokens -= Double(granted)
        return granted
    }

    /// Returns tokens taken for deliveries that were not claimed after all.
    public mutating func giveBack(_ count: Int) {
        tokens = min(Double(rate.burst), tokens + Double(count))
    }

    /// How long until the next whole token.
    public func timeUntilNext(now: ContinuousClock.Instant) -> Duration { timeUntil(available: 1, now: now) }

    /// How long until `count` whole tokens (at most the burst) are there to take.
    public func timeUntil(available count: Int, now: ContinuousClock.Instant) -> Duration {
        var copy = self
        copy.refill(now)
        let missing = max(0, Double(min(count, rate.burst)) - copy.tokens)
        return .seconds(missing / rate.perSecond)
    }

    private mutating func refill(_ now: ContinuousClock.Instant) {
        let elapsed = now - updated
        tokens = min(Double(rate.burst), tokens + elapsed.seconds * rate.perSecond)
        updated = now
    }
}
