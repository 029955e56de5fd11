import Foundation

/// Which deliveries an ops action or listing is about. Every field is optional; the set fields
/// must all match. Text fields match exactly; the time window is on the delivery's creation.
public struct DeliveryFilter: Sendable, Equatable {
    public var status: DeliveryStatus?
    /// The destination the delivery goes to.
    public var destination: String?
    /// The message's type, source and subject.
    public var type: String?
    public var source: String?
    public var subject: String?
    /// Created at or after `since`, and before `until`.
    public var since: Date?
    public var until: Date?

    public init(
        status: DeliveryStatus? = nil, destination: String? = nil, type: String? = nil, source: String? = nil,
        subject: String? = nil, since: Date? = nil, until: Date? = nil
    ) {
        self.status = status
        self.destination = destination
        self.type = type
        self.source = source
        self.subject = subject
        self.since = since
        self.until = until
    }

    /// The filter as the audit log keeps it: only the fields that were set.
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        if let status { members["status"] = .string(status.rawValue) }
        if let destination { members["destination"] = .string(destination) }
        if let type { members["type"] = .string(type) }
        if let source { members["source"] = .string(source) }
        if let subject { members["subject"] = .string(subject) }
        if let since { members["since"] = .string(Timestamp.format(since)) }
        if let until { members["until"] = .string(Timestamp.format(until)) }
        return .object(members)
    }
}
