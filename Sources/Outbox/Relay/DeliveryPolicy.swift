/// How hard a destination may be pushed, beyond its concurrency: a rate limit, and a circuit
/// breaker that stops claiming while the destination keeps failing.
public struct RateLimit: Sendable, Equatable {
    /// Deliveries started per second, on average, by one relay instance.
    public var perSecond: Double
    /// How many may start at once after a quiet spell.
    public var burst: Int

    public init(perSecond: Double, burst: Int? = nil) {
        self.perSecond = perSecond
        self.burst = burst ?? max(1, Int(perSecond.rounded(.up)))
    }
}

public struct CircuitBreakerPolicy: Sendable, Equatable {
    /// Consecutive failed tries (timeouts, refused connections, 408/429/5xx) that open the circuit.
    public var failures: Int
    /// How long an open circuit claims nothing before one probe delivery decides.
    public var coolDown: Duration

    public init(failures: Int = 5, coolDown: Duration = .seconds(30)) {
        self.failures = failures
        self.coolDown = coolDown
    }
}
