import Logging
import PostgresNIO

/// The only place that speaks SQL. Every statement binds its values; none is built by concatenation.
public struct OutboxStore: Sendable {
    /// The channel ingest notifies after committing deliveries to claim, to wake idle relays.
    public static let notifyChannel = "hub_outbox"

    public let client: PostgresClient
    public let logger: Logger
    /// Destinations that keep per-subject order: their deliveries record the subject, and the
    /// claim takes only the oldest unfinished delivery of each subject.
    public let orderedDestinations: Set<String>
    /// Shared by every copy of this store, so concurrent commits fold their NOTIFYs together.
    let wakeup = RelayWakeup()

    public init(client: PostgresClient, logger: Logger, orderedDestinations: Set<String> = []) {
        self.client = client
        self.logger = logger
        self.orderedDestinations = orderedDestinations
    }

    /// Runs `body`, turning connection-level failures into ``StoreError/unavailable(_:)``.
    func run<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            throw StoreError.classify(error)
        }
    }
}
