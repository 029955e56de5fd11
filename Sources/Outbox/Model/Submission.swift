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
    /// The request the message came from, kept for ops (webhooks).
    public var inbound: InboundRecord?
    /// The destinations (among `destinations`) that work this message as a job, and how.
    public var jobVendors: [String: JobMode]

    public init(
        message: CanonicalMessage, destinations: [String], dedup: DedupKey? = nil, inbound: InboundRecord? = nil,
        jobVendors: [String: JobMode] = [:]
    ) {
        self.message = message
        self.destinations = destinations
        self.dedup = dedup
        self.inbound = inbound
        self.jobVendors = jobVendors
    }
}

/// A request as it arrived, minus credentials: what a vendor actually sent.
public struct InboundRecord: Sendable, Equatable {
    /// Header names (lowercase) to values; repeated headers are joined with ", ".
    public var headers: [String: String]
    public var body: String
    /// True when the source's redaction rules rewrote `body` before it was stored.
    public var redacted: Bool

    public init(headers: [String: String], body: String, redacted: Bool) {
        self.headers = headers
        self.body = body
        self.redacted = redacted
    }

    /// The headers as a JSON object, names in code-point order, the way they are stored.
    public var headersJSON: String { JSONText.object(headers) }
}

/// The answer to a submission, known only after its transaction committed.
public enum AcceptResult: Sendable, Equatable {
    /// Stored now, with one delivery per destination: pending, or already `delivering` when this
    /// process's relay took it at commit (see ``DirectDispatch``).
    case accepted(id: UUID, deliveries: [AcceptedDelivery])
    /// The dedup key was seen before: nothing was written, this is the original message's id.
    case duplicate(originalId: UUID)
}

public struct AcceptedDelivery: Sendable, Equatable {
    public var id: UUID
    public var destination: String
    public var status: DeliveryStatus
}
