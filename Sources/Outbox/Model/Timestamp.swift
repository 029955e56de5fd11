import Foundation

/// RFC 3339 timestamps as Hub writes and reads them: UTC, millisecond precision on output,
/// fractional seconds optional on input.
public enum Timestamp {
    /// Built once: building the style for every call showed in the relay's profile (each
    /// delivered event carries its time).
    private static let style = Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash)
        .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)

    public static func format(_ date: Date) -> String {
        date.formatted(style)
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
