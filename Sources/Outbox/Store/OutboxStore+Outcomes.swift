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
    /// How the job step of this delivery moves, when its destination works jobs.
    public var job: JobStepUpdate?

    public init(
        deliveryId: UUID, status: DeliveryStatus, nextAttemptAt: Date, attempt: DeliveryAttempt,
        job: JobStepUpdate? = nil
    ) {
        self.deliveryId = deliveryId
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.attempt = attempt
        self.job = job
    }
}

extension OutboxStore {
    /// Writes a batch of outcomes, in one prepared statement (``RecordStatement``): each row's new state, one attempt
    /// record per try, and the job step of vendor deliveries. Only rows still leased to `owner` change (and get an attempt record), so
    /// a relay that lost its lease, whose row was rescued and claimed again elsewhere, cannot
    /// overwrite the newer state.
    public func record(_ outcomes: [RecordedOutcome], owner: String) async throws {
        guard !outcomes.isEmpty else { return }
        try await run {
            for try await _ in try await client.execute(RecordStatement(outcomes: outcomes, owner: owner), logger: logger) {}
        }
    }
}
