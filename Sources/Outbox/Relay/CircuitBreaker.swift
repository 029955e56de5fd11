import Synchronization

/// The breakers' states by destination, readable while the relay runs (for `GET /v1/destinations`).
public final class CircuitBoard: Sendable {
    private let states = Mutex<[String: String]>([:])

    public init() {}

    public subscript(destination: String) -> String? { states.withLock { $0[destination] } }

    func set(_ destination: String, _ state: CircuitBreaker.State) {
        states.withLock { $0[destination] = state.rawValue }
    }
}

/// Closed: deliveries flow. Open: nothing is claimed until the cool-down ends. Half-open: one
/// probe delivery is in flight; its outcome closes the circuit or opens it again.
struct CircuitBreaker: Sendable {
    enum State: String, Sendable {
        case closed, open
        case halfOpen = "half_open"
    }

    let policy: CircuitBreakerPolicy
    private(set) var state = State.closed
    private var consecutiveFailures = 0
    private var openUntil: ContinuousClock.Instant?

    init(policy: CircuitBreakerPolicy) {
        self.policy = policy
    }

    /// How many deliveries may be claimed now: all (nil), none while open or probing, one probe
    /// once the cool-down is over.
    mutating func allowance(now: ContinuousClock.Instant) -> Int? {
        switch state {
        case .closed: return nil
        case .halfOpen: return 0
        case .open:
            guard let openUntil, now >= openUntil else { return 0 }
            state = .halfOpen
            return 1
        }
    }

    /// Until the cool-down ends, while open.
    func timeUntilProbe(now: ContinuousClock.Instant) -> Duration? {
        guard state == .open, let openUntil else { return nil }
        return max(.zero, openUntil - now)
    }

    /// A probe was allowed but nothing was due: the next claim may probe again.
    mutating func probeUnused() {
        if state == .halfOpen { state = .open }
    }

    /// Records a try; returns the new state when it changed.
    mutating func record(failed: Bool, now: ContinuousClock.Instant) -> State? {
        let before = state
        if failed {
            consecutiveFailures += 1
            if state == .halfOpen || consecutiveFailures >= policy.failures {
                state = .open
                openUntil = now + policy.coolDown
            }
        } else {
            consecutiveFailures = 0
            state = .closed
            openUntil = nil
        }
        return state == before ? nil : state
    }
}
