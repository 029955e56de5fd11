/// A destination: takes one claimed delivery to the outside world and says how it went.
/// A connector never throws; every failure is an outcome the relay records and acts on.
public protocol Connector: Sendable {
    func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome
}

/// What one try came to.
public struct DeliveryOutcome: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case delivered
        /// Worth another try; `after` is the destination's own wish (Retry-After), if it said one.
        case retry(after: Duration?)
        /// Trying again cannot help (a 4xx, a refused signature, a bad key).
        case permanent
    }

    public var verdict: Verdict
    public var httpStatus: Int?
    public var error: String?
    /// The start of what the destination answered, for the attempt log.
    public var responseExcerpt: String?
    /// The whole answer, kept only by connectors asked to (a sync vendor's job result).
    public var responseBody: String?

    public init(
        verdict: Verdict, httpStatus: Int? = nil, error: String? = nil, responseExcerpt: String? = nil,
        responseBody: String? = nil
    ) {
        self.verdict = verdict
        self.httpStatus = httpStatus
        self.error = error
        self.responseExcerpt = responseExcerpt
        self.responseBody = responseBody
    }
}
