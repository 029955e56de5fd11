import Synchronization

/// Hands deliveries that this hub's own intake just committed straight to this hub's relay.
///
/// Without it, a new delivery reaches a relay by NOTIFY, then a claim (a round trip and a
/// commit of its own) leases it. With it, the ingest transaction itself writes the delivery
/// already leased to the local relay, and the lane starts it as soon as the commit returns.
/// Rows stay leased in the database like claimed ones, so if this hub dies before recording the
/// outcome the lease expires and any relay rescues the row: at-least-once, as for a claim.
///
/// A lane takes a delivery this way only while it could claim it at once (see
/// ``DestinationLane/reserve()``); otherwise the row is written pending and claimed as usual.
public final class DirectDispatch: Sendable {
    /// The relay the rows are leased to, and for how long.
    let owner: String
    let lease: Duration
    private let lanes = Mutex<[String: DestinationLane]>([:])

    init(owner: String, lease: Duration) {
        self.owner = owner
        self.lease = lease
    }

    /// Takes one of `destination`'s slots for a delivery about to be committed. Every `true`
    /// must be followed by exactly one ``hand(_:)`` or ``release(_:)``.
    func reserve(_ destination: String) -> Bool {
        lane(destination)?.reserve() ?? false
    }

    /// Starts a reserved delivery whose row committed leased to ``owner``.
    func hand(_ delivery: ClaimedDelivery) {
        lane(delivery.destination)?.hand(delivery)
    }

    /// Gives back a reservation whose row was not written (a duplicate, a failed commit).
    func release(_ destination: String) {
        lane(destination)?.release()
    }

    /// The relay's lanes while it runs; none before it starts or after it stopped.
    func attach(_ running: [DestinationLane]) {
        lanes.withLock { lanes in
            lanes = Dictionary(running.map { ($0.destination.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    func detach() { lanes.withLock { $0 = [:] } }

    private func lane(_ destination: String) -> DestinationLane? {
        lanes.withLock { $0[destination] }
    }
}
