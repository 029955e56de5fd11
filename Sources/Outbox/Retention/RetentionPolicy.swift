/// How long finished rows are kept. Only what is done is ever purged: delivered deliveries,
/// the attempts of delivered deliveries, and messages none of whose deliveries remain. Dead
/// deliveries (and so their messages and attempts) stay until ops act on them.
public struct RetentionPolicy: Sendable, Equatable {
    /// Delivered deliveries older than this (since delivery) are purged, with their attempts.
    public var delivered: Duration?
    /// Attempt records of delivered deliveries older than this (since delivery) are purged.
    public var attempts: Duration?
    /// Messages received longer ago than this are purged once no delivery of theirs remains.
    public var messages: Duration?
    /// Rows per DELETE: small, so no statement holds locks for long.
    public var batch: Int
    /// Pause between purge rounds.
    public var interval: Duration

    public init(
        delivered: Duration? = nil, attempts: Duration? = nil, messages: Duration? = nil, batch: Int = 1000,
        interval: Duration = .seconds(60)
    ) {
        self.delivered = delivered
        self.attempts = attempts
        self.messages = messages
        self.batch = batch
        self.interval = interval
    }
}
