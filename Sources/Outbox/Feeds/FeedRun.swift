import Foundation

/// One run of a dealer feed, whatever it came to.
public struct FeedRun: Sendable, Equatable {
    public enum Trigger: String, Sendable, CaseIterable {
        /// Its interval or cron expression came due.
        case schedule
        /// The collection changed and the debounce passed.
        case change
        /// `hub feeds run` or `POST /v1/feeds/{name}/runs`.
        case manual
    }

    public enum Status: String, Sendable, CaseIterable {
        /// The file was committed with its message and one delivery to the feed's destination.
        case published
        /// Same file name and bytes as the last published run: nothing was sent.
        case unchanged
        /// The shrink guard held it back: it lost too many items since the last published run.
        case refused
        /// It could not be rendered or stored; `detail` says why.
        case failed
    }

    public var id: UUID
    public var feed: String
    public var trigger: Trigger
    public var forced: Bool
    /// Who asked for a manual run (`cli:<user>` or a token's name); nil for the scheduler.
    public var requestedBy: String?
    public var status: Status
    public var startedAt: Date
    public var durationMs: Int
    public var items: Int
    public var bytes: Int
    public var sha256: String?
    public var fileName: String?
    /// The collection's change mark when the run read it: a change after it triggers another run.
    public var changeMark: Int64?
    /// The message carrying the file (published runs).
    public var messageId: UUID?
    /// Why it was refused, unchanged or failed.
    public var detail: String?

    public init(
        id: UUID = UUIDv7.make(), feed: String, trigger: Trigger, forced: Bool = false, requestedBy: String? = nil, status: Status,
        startedAt: Date, durationMs: Int = 0, items: Int = 0, bytes: Int = 0, sha256: String? = nil,
        fileName: String? = nil, changeMark: Int64? = nil, messageId: UUID? = nil, detail: String? = nil
    ) {
        self.id = id
        self.feed = feed
        self.trigger = trigger
        self.forced = forced
        self.requestedBy = requestedBy
        self.status = status
        self.startedAt = startedAt
        self.durationMs = durationMs
        self.items = items
        self.bytes = bytes
        self.sha256 = sha256
        self.fileName = fileName
        self.changeMark = changeMark
        self.messageId = messageId
        self.detail = detail
    }
}

/// What a feed's runs so far say about its next one.
public struct FeedHistory: Sendable, Equatable {
    /// Newest first.
    public var recent: [FeedRun]
    public var lastPublished: FeedRun?
    /// When the schedule last fired (the next firing counts from it).
    public var lastScheduledAt: Date?

    public init(recent: [FeedRun] = [], lastPublished: FeedRun? = nil, lastScheduledAt: Date? = nil) {
        self.recent = recent
        self.lastPublished = lastPublished
        self.lastScheduledAt = lastScheduledAt
    }

    /// The change mark the latest run that read the collection saw.
    public var lastChangeMark: Int64? { recent.first(where: { $0.status != .failed })?.changeMark }
}
