import Connectors
import Outbox

/// `feeds.NAME`: a file rendered from a collection (optionally one dealer's part of it) and
/// published through a destination, on a schedule, on change, or by hand.
struct FeedConfig: Sendable {
    var name: String
    var collection: String
    /// Facet equality filters (`dealer: d1`); empty: the whole collection.
    var filter: [String: JSONValue] = [:]
    /// csv, json, xml or mustache: what GET /v1/feeds reports.
    var formatName: String
    var format: any FeedFormat
    var file: FeedFileName
    var schedule: FeedSchedule?
    /// Run once the collection has been quiet this long after a change.
    var onChangeDebounce: Duration?
    /// The destination the file is published through (kind s3, sftp or http).
    var destination: String
    /// Hold back a run that lost more than this share (0...1) of the last published run's
    /// items; nil: no guard.
    var maxDrop: Double? = 0.5
}

/// A feed's file name: literal text with `{feed}` and `{date}` (the run's UTC day, YYYY-MM-DD).
/// One path segment: it becomes the message subject, which object keys and file names are
/// built from, so it may not hold `/`, `..` or control characters.
struct FeedFileName: Sendable, Equatable, CustomStringConvertible {
    let description: String

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    init(_ template: String) throws {
        guard !template.isEmpty else { throw Problem(description: "the file name is empty") }
        guard !template.contains("/"), !template.contains("\\") else {
            throw Problem(description: "a file name is one segment: no '/' (put directories in the destination's key or directory)")
        }
        guard !template.contains(".."), !template.hasPrefix(".") else {
            throw Problem(description: "a file name must not start with '.' or contain '..'")
        }
        guard !template.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Problem(description: "a file name must not contain control characters")
        }
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { throw Problem(description: "unbalanced '{'") }
            let field = rest[rest.index(after: open)..<close]
            guard field == "feed" || field == "date" else {
                throw Problem(description: "unknown field {\(field)} (expected {feed} or {date})")
            }
            rest = rest[rest.index(after: close)...]
        }
        description = template
    }

    func render(feed: String, at date: Date) -> String {
        description.replacingOccurrences(of: "{feed}", with: feed)
            .replacingOccurrences(of: "{date}", with: String(Timestamp.format(date).prefix(10)))
    }
}

import Foundation
