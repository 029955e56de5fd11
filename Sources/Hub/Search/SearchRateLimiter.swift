import Outbox
import Synchronization

/// A token bucket per client address: a public endpoint must not let one client starve the rest.
final class SearchRateLimiter: Sendable {
    private let rate: RateLimit
    private let buckets = Mutex<[String: TokenBucket]>([:])
    /// Beyond this many tracked clients, buckets that have refilled completely are forgotten
    /// (a full bucket is the same as a new one), so many one-off clients cannot grow the table.
    private let pruneAbove = 10_000

    init(rate: RateLimit) { self.rate = rate }

    /// Nil when `client` may search now; otherwise how long until it may.
    func wait(for client: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            if buckets.count > pruneAbove {
                buckets = buckets.filter { $0.value.timeUntilFull(now: now) > .zero }
            }
            var bucket = buckets[client] ?? TokenBucket(rate: rate, now: now)
            defer { buckets[client] = bucket }
            return bucket.take(upTo: 1, now: now) == 1 ? nil : bucket.timeUntilNext(now: now)
        }
    }
}

extension TokenBucket {
    /// How long until the bucket holds `burst` tokens again: zero for one that is already full.
    func timeUntilFull(now: ContinuousClock.Instant) -> Duration {
        var copy = self
        let available = copy.take(upTo: rate.burst, now: now)
        return .seconds(Double(rate.burst - available) / rate.perSecond)
    }
}
