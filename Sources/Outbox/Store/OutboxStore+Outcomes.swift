import Foundation
import PostgresNIO

/// The result of one try, as the relay decided it: the row's next state and the attempt record.
public struct RecordedOutcome: Sendable {
    public var deliveryId: UUID
    public var attempt: Int
    /// `.delivered`, `.dead`, or `.pending` for a retry at `nextAttemptAt`.
    public var status: DeliveryStatus
    public var nextAttemptAt: Date
    public var startedAt: Date
    public var durationMilliseconds: Int
    /// A short word for the attempt log: delivered, retry, dead.
    public var outcome: String
    public var httpStatus: Int?
    public var error: String?
    public var responseExcerpt: String?

    public init(
        deliveryId: UUID, attempt: Int, status: DeliveryStatus, nextAttemptAt: Date, startedAt: Date,
        durationMilliseconds: Int, outcome: String, httpStatus: Int?, error: String?, responseExcerpt: String?
    ) {
        self.deliveryId = deliveryId
        self.attempt = attempt
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.error = error
        self.responseExcerpt = responseExcerpt
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
