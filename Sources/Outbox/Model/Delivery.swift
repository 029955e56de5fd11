import Foundation

/// Where one outbox row stands. `pending` rows are claimable once due; `delivering` rows are
/// leased to one relay; `delivered` and `dead` are final until ops act.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    case pending, delivering, delivered, dead
}

/// A delivery a relay has claimed, with the message it carries.
public struct ClaimedDelivery: Sendable {
    public var id: UUID
    public var destination: String
    /// The number of this try, counting from 1.
    public var attempt: Int
    public var createdAt: Date
    public var message: CanonicalMessage

    public init(id: UUID, destination: String, attempt: Int, createdAt: Date, message: CanonicalMessage) {
        self.id = id
        self.destination = destination
        self.attempt = attempt
        self.createdAt = createdAt
        self.message = message
    }
}

/// One recorded try of a delivery.
public struct DeliveryAttempt: Sendable, Equatable {
    /// The number of this try, counting from 1.
    public var attempt: Int
    public var startedAt: Date
    public var durationMilliseconds: Int
    /// A short word for the log: delivered, retry, dead, or lost (its relay died).
    public var outcome: String
    public var httpStatus: Int?
    public var error: String?
    public var responseExcerpt: String?

    public init(
        attempt: Int, startedAt: Date, durationMilliseconds: Int, outcome: String, httpStatus: Int? = nil,
        error: String? = nil, responseExcerpt: String? = nil
    ) {
        self.attempt = attempt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.error = error
        self.responseExcerpt = responseExcerpt
    }
}

/// A delivery as ops see it.
public struct DeliveryRecord: Sendable {
    public var id: UUID
    public var messageId: UUID
    public var destination: String
    public var status: DeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?
    public var attemptLog: [DeliveryAttempt]
    /// For a resent delivery: the delivered one it copies.
    public var resentFrom: UUID? = nil
}

/// A delivery as an ops listing shows it: with what its message is about.
public struct ListedDelivery: Sendable {
    public var delivery: DeliveryRecord
    public var type: String
    public var source: String
    public var subject: String?
}

/// A message with every delivery it fanned out to.
public struct MessageRecord: Sendable {
    public var message: CanonicalMessage
    public var deliveries: [DeliveryRecord]
    /// The request it came from, for sources that keep it (webhooks).
    public var inbound: InboundRecord?
}

/// Backlog of one destination: rows not yet delivered or dead.
public struct DestinationBacklog: Sendable, Equatable {
    public var destination: String
    public var pending: Int
    public var delivering: Int
    public var oldestPendingSince: Date?
}
