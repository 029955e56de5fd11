import Foundation

/// One ops action as the audit log keeps it: who did what, when, to which rows, and for a bulk
/// action how far it has got.
public struct OpsAction: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// A bulk action still working through its rows.
        case running
        case done
        case failed
        /// Stopped by a shutdown before it finished; the rows it reached stay acted on.
        case interrupted
    }

    public var id: UUID
    public var at: Date
    /// A token name, or `cli:<user>` for the command line.
    public var actor: String
    /// retry, redrive, resend, pause or resume.
    public var action: String
    /// What the action was about: its delivery filter (and for resend, `to`).
    public var filter: JSONValue
    public var dryRun: Bool
    /// Rows matched when the action started.
    public var total: Int
    /// Rows acted on so far.
    public var processed: Int
    public var status: Status
    public var error: String?
    public var finishedAt: Date?

    public init(
        id: UUID = UUIDv7.make(), at: Date = Date(), actor: String, action: String, filter: JSONValue,
        dryRun: Bool, total: Int, processed: Int = 0, status: Status, error: String? = nil, finishedAt: Date? = nil
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.filter = filter
        self.dryRun = dryRun
        self.total = total
        self.processed = processed
        self.status = status
        self.error = error
        self.finishedAt = finishedAt
    }
}
