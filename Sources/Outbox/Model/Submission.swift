import Foundation

/// A deduplication key: the same `key` within one `scope` (a token, a webhook source) is one message.
public struct DedupKey: Sendable, Hashable {
    public var scope: String
    public var key: String

    public init(scope: String, key: String) {
        self.scope = scope
        self.key = key
    }
}

/// What ingress hands the outbox: a message, where it must go, and how to recognise a repeat.
public struct Submission: Sendable {
    public var message: CanonicalMessage
    public var destinations: [String]
    public var dedup: DedupKey?

    public init(message: CanonicalMessage, destinations: [String], dedup: DedupKey? = nil) {
        self.message = message
        self.destinations = destinations
        self.dedup = dedup
    }
}

/// The answer to a submission, known only after its transaction committed.
public enum AcceptResult: Sendable, Equatable {
    /// Stored now, with one pending delivery per destination.
    case accepted(id: UUID, deliveries: [AcceptedDelivery])
    /// The dedup key was seen before: nothing was written, this is the original message's id.
    case duplicate(originalId: UUID)
}

public struct AcceptedDelivery: Sendable, Equatable {
    public var id: UUID
    public var destination: String
}
