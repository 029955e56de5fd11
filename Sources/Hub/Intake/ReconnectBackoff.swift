import Outbox

/// The delays between connection attempts: a random wait between zero and a ceiling that doubles
/// with each consecutive failure up to `max` (full jitter, the same curve as delivery retries), so
/// hubs that lost one Redis together do not all dial it again at the same moment.
struct ReconnectBackoff: Sendable {
    private let curve: RetryPolicy
    private(set) var failures = 0

    init(_ policy: ReconnectPolicy) {
        curve = RetryPolicy(maxAttempts: .max, initial: policy.initial, max: policy.max)
    }

    /// Counts a failure and returns how long to wait before the next attempt.
    mutating func next() -> Duration {
        failures += 1
        let ceiling = curve.ceiling(afterAttempt: failures).seconds
        return .milliseconds(Int(Double.random(in: 0...ceiling) * 1000))
    }

    mutating func reset() { failures = 0 }
}
