import Foundation
import Hummingbird
import Outbox

/// `GET /v1/destinations`: each destination's kind, policy, circuit state, backlog, oldest
/// pending delivery and, when ordered, the subjects a dead delivery holds up.
struct DestinationsController: Sendable {
    let store: OutboxStore
    let destinations: [DestinationConfig]
    /// The in-process relay's breakers; nil when this process runs no relay.
    let circuits: CircuitBoard?

    func register(on group: RouterGroup<HubRequestContext>) {
        group.get("destinations", use: list)
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let backlog = Dictionary(uniqueKeysWithValues: try await store.backlog().map { ($0.destination, $0) })
        let paused = try await store.pausedDestinations()
        var views: [DestinationView] = []
        for destination in destinations {
            let blocked = destination.orderedBySubject ? try await store.blockedSubjects(destination: destination.name) : nil
            views.append(DestinationView(
                destination, backlog: backlog[destination.name], circuit: circuits?[destination.name], blocked: blocked,
                paused: paused.contains(destination.name)
            ))
        }
        return try JSONBody.response(status: .ok, ["destinations": views])
    }
}

struct DestinationView: Encodable {
    struct Policy: Encodable {
        var concurrency: Int
        var rate_per_second: Double?
        var rate_burst: Int?
        var circuit_breaker_failures: Int?
        var circuit_breaker_cool_down_ms: Int?
        var ordering: String
        var retry_max_attempts: Int
        var mode: String?
    }

    struct Backlog: Encodable {
        var pending: Int
        var delivering: Int
        var oldest_pending_at: String?
    }

    var name: String
    var kind: String
    var policy: Policy
    /// closed, open or half_open; absent without a breaker or without a relay in this process.
    var circuit: String?
    var backlog: Backlog
    var blocked_subjects: [String]?
    /// Paused by ops: nothing is claimed until resumed.
    var paused: Bool

    init(
        _ destination: DestinationConfig, backlog: DestinationBacklog?, circuit: String?, blocked: [String]?,
        paused: Bool
    ) {
        self.paused = paused
        name = destination.name
        kind = destination.kind.rawValue
        policy = Policy(
            concurrency: destination.concurrency, rate_per_second: destination.rate?.perSecond,
            rate_burst: destination.rate?.burst, circuit_breaker_failures: destination.circuitBreaker?.failures,
            circuit_breaker_cool_down_ms: destination.circuitBreaker.map { Int($0.coolDown.seconds * 1000) },
            ordering: destination.orderedBySubject ? "per-subject" : "none",
            retry_max_attempts: destination.retry.maxAttempts, mode: destination.jobMode?.name
        )
        self.circuit = circuit
        self.backlog = Backlog(
            pending: backlog?.pending ?? 0, delivering: backlog?.delivering ?? 0,
            oldest_pending_at: backlog?.oldestPendingSince.map(Timestamp.format)
        )
        blocked_subjects = blocked
    }
}
