import Foundation
import PostgresNIO

/// The result of one try, as the relay decided it: the row's next state and the attempt record.
public struct RecordedOutcome: Sendable {
    public var deliveryId: UUID
    /// `.delivered`, `.dead`, or `.pending` for a retry at `nextAttemptAt`.
    public var status: DeliveryStatus
    public var nextAttemptAt: Date
    /// The try itself, as the attempt log keeps it.
    public var attempt: DeliveryAttempt

    public init(deliveryId: UUID, status: DeliveryStatus, nextAttemptAt: Date, attempt: DeliveryAttempt) {
        self.deliveryId = deliveryId
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.attempt = attempt
    }
}

extension OutboxStore {
    /// Writes a batch of outcomes, in one prepared statement (``RecordStatement``): each row's new state and one attempt
    /// record per try. Only rows still leased to `owner` change (and get an attempt record), so
    /// a relay that lost its lease, whose row was rescued and claimed again elsewhere, cannot
    /// overwrite the newer state.
    public func record(_ outcomes: [RecordedOutcome], owner: String) async throws {
        guard !outcomes.isEmpty else { return }
        try await run {
            for try await _ in try await client.execute(RecordStatement(outcomes: outcomes, owner: owner), logger: logger) {}
        }
    }
}
