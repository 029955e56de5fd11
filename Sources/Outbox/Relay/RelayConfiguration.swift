import Foundation

/// A destination as the relay sees it: where to send, how patiently, how many at once.
public struct RelayDestination: Sendable {
    public var name: String
    public var connector: any Connector
    public var retry: RetryPolicy
    /// Deliveries in flight at once to this destination, per relay instance.
    public var concurrency: Int
    /// Set when the destination is a vendor that works jobs.
    public var jobMode: JobMode?
    /// Deliveries started per second, per relay instance; nil: as fast as concurrency allows.
    public var rate: RateLimit?
    public var circuitBreaker: CircuitBreakerPolicy?

    public init(
        name: String, connector: any Connector, retry: RetryPolicy = RetryPolicy(), concurrency: Int = 32,
        jobMode: JobMode? = nil, rate: RateLimit? = nil, circuitBreaker: CircuitBreakerPolicy? = nil
    ) {
        self.name = name
        self.connector = connector
        self.retry = retry
        self.concurrency = concurrency
        self.jobMode = jobMode
        self.rate = rate
        self.circuitBreaker = circuitBreaker
    }
}

public struct RelayConfiguration: Sendable {
    /// Names this relay in leases and attempt records; unique per process.
    public var owner: String
    /// Most rows one claim takes.
    public var claimBatch: Int
    /// How often an idle relay looks for due rows when no notification woke it.
    public var pollInterval: Duration
    /// How long a claimed row stays ours; must exceed the slowest destination's timeout.
    public var lease: Duration
    /// How often expired leases (of relays that died) are returned to pending.
    public var rescueInterval: Duration

    public init(
        owner: String = RelayConfiguration.defaultOwner(), claimBatch: Int = 100,
        pollInterval: Duration = .seconds(1), lease: Duration = .seconds(60), rescueInterval: Duration = .seconds(5)
    ) {
        self.owner = owner
        self.claimBatch = claimBatch
        self.pollInterval = pollInterval
        self.lease = lease
        self.rescueInterval = rescueInterval
    }

    public static func defaultOwner() -> String {
        let host = ProcessInfo.processInfo.hostName
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(suffix)"
    }
}
