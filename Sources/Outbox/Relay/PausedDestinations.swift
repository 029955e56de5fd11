import Synchronization

/// The destinations ops paused, as this relay last read them. The claim path only looks the
/// name up in memory; the set is reloaded when a pause or resume notifies, and on the poll tick
/// as the fallback for a lost notification.
final class PausedDestinations: Sendable {
    private let names = Mutex(Set<String>())

    func contains(_ name: String) -> Bool { names.withLock { $0.contains(name) } }

    /// Replaces the set and returns the names that were paused and no longer are.
    func replace(with current: Set<String>) -> Set<String> {
        names.withLock { names in
            defer { names = current }
            return names.subtracting(current)
        }
    }
}
