/// How bulk actions pace themselves: rows acted on per second (a token bucket, as destinations'
/// `rate` uses), in batches of at most `batch` rows, each its own short transaction.
public struct BulkSettings: Sendable, Equatable {
    public var rate: RateLimit
    public var batch: Int

    public init(rate: RateLimit = RateLimit(perSecond: 500), batch: Int = 100) {
        self.rate = rate
        self.batch = batch
    }
}

/// What a bulk action does to the rows its filter matches.
public enum BulkWork: Sendable, Equatable {
    /// Dead deliveries back to pending, due now.
    case redrive(DeliveryFilter)
    /// Delivered deliveries copied as new pending deliveries to `to`, linked to the originals.
    case resend(DeliveryFilter, to: String)

    public var name: String {
        switch self {
        case .redrive: "redrive"
        case .resend: "resend"
        }
    }

    /// The rows it acts on: its filter, narrowed to the one status it can act on.
    public var matching: DeliveryFilter {
        switch self {
        case .redrive(var filter):
            filter.status = .dead
            return filter
        case .resend(var filter, _):
            filter.status = .delivered
            return filter
        }
    }

    /// The filter as the audit log records it (with `to` for a resend).
    public var auditFilter: JSONValue {
        guard case .object(var members) = matching.json else { return matching.json }
        if case .resend(_, let to) = self { members["to"] = .string(to) }
        return .object(members)
    }
}
