import Foundation

/// A five-field cron expression (minute hour day-of-month month day-of-week), in UTC:
/// `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and lists `a,b`. Day of week is 0-7
/// (0 and 7 are Sunday). As in cron, when both day fields are restricted a day matching
/// either one fires.
struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    init(_ text: String) throws {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else {
            throw Problem(description: "expected five fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        minutes = try Self.field(fields[0], "minute", 0...59)
        hours = try Self.field(fields[1], "hour", 0...23)
        days = try Self.field(fields[2], "day-of-month", 1...31)
        months = try Self.field(fields[3], "month", 1...12)
        // 7 is Sunday too; fold it onto 0.
        weekdays = Set(try Self.field(fields[4], "day-of-week", 0...7).map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
        description = fields.joined(separator: " ")
    }

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw Problem(description: "\(name): '\(part)' has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw Problem(description: "\(name): step '\(pieces[1])' must be a positive number")
                }
                step = parsed
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
                guard (1...2).contains(bounds.count), let low = bounds[0], let high = bounds.last!,
                    range.contains(low), range.contains(high), low <= high
                else {
                    throw Problem(description: "\(name): '\(part)' is not a value or range within \(range.lowerBound)-\(range.upperBound)")
                }
                // `5/15` means from 5 to the end, every 15.
                span = low...(bounds.count == 1 && pieces.count == 2 ? range.upperBound : high)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The first time after `date` (strictly) that the expression fires; nil if none within
    /// five years (`0 0 31 2 *` never fires).
    func next(after date: Date) -> Date? {
        let calendar = Self.calendar
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        guard var day = calendar.dateInterval(of: .day, for: date)?.start else { return nil }
        for _ in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.day, .month, .weekday], from: day)
            if let month = parts.month, months.contains(month), matches(day: parts.day ?? 0, weekday: (parts.weekday ?? 1) - 1) {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        let candidate = day.addingTimeInterval(TimeInterval(hour * 3600 + minute * 60))
                        if candidate > date { return candidate }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }

    private func matches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): days.contains(day) || weekdays.contains(weekday)
        case (true, false): days.contains(day)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }
}
