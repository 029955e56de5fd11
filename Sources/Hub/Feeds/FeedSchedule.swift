import Foundation

/// When a feed runs by itself: every interval, or at the times of a cron expression.
enum FeedSchedule: Sendable, Equatable, CustomStringConvertible {
    case every(Duration)
    case cron(CronExpression)

    /// When the schedule next fires, given when it last fired (nil: never). An interval feed
    /// that never ran is due at once; a cron feed waits for its next time after `start`.
    func next(lastFiredAt: Date?, start: Date) -> Date? {
        switch self {
        case .every(let interval): lastFiredAt.map { $0.addingTimeInterval(interval.seconds) } ?? start
        case .cron(let expression): expression.next(after: lastFiredAt ?? start)
        }
    }

    var description: String {
        switch self {
        case .every(let interval): "every \(Units.format(interval))"
        case .cron(let expression): "cron \(expression)"
        }
    }
}

/// The on-change trigger: run once the collection has been quiet for `quiet` after a change, or
/// after `maxWait` of changes that never stop, so a busy collection still publishes.
struct ChangeDebounce: Sendable {
    let quiet: Duration
    var maxWait: Duration { quiet * 10 }
    private var pending: (mark: Int64, firstSeen: Date, lastSeen: Date)?

    init(quiet: Duration) {
        self.quiet = quiet
    }

    /// Whether to run now, given the collection's change mark and the one the feed last ran at.
    mutating func observe(mark: Int64, lastRunMark: Int64?, now: Date) -> Bool {
        guard mark != lastRunMark else {
            pending = nil
            return false
        }
        if let seen = pending {
            if seen.mark != mark { pending = (mark, seen.firstSeen, now) }
        } else {
            pending = (mark, now, now)
        }
        guard let seen = pending else { return false }
        return now.timeIntervalSince(seen.lastSeen) >= quiet.seconds || now.timeIntervalSince(seen.firstSeen) >= maxWait.seconds
    }

    /// Since when a change has been waiting, if one is.
    var waitingSince: Date? { pending?.firstSeen }

    mutating func ran() { pending = nil }
}
