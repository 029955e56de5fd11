import Connectors
import Foundation

/// A `kind: sftp-drop` source: a partner's folder polled for files, each record one message.
struct FileDropConfig: Sendable {
    enum Format: Sendable, Equatable {
        case csv(delimiter: UInt8)
        case ndjson
        case jsonArray
        case xml(recordPath: [String])

        var reader: any RecordReader {
            switch self {
            case .csv(let delimiter): CSVRecordReader(delimiter: delimiter)
            case .ndjson: NDJSONRecordReader()
            case .jsonArray: JSONArrayRecordReader()
            case .xml(let path): XMLRecordReader(recordPath: path)
            }
        }
    }

    /// When a file in the inbox is complete.
    enum Readiness: Sendable, Equatable {
        /// Size and mtime unchanged across two polls, and the mtime at least this old.
        case stable(minAge: Duration)
        /// A `<name>.done` file next to it (removed once the file is taken).
        case doneMarker
    }

    enum OnError: String, Sendable {
        /// Commit nothing from a file with any bad record; move it to the error directory.
        case rejectFile = "reject-file"
        /// Commit the good records; list the bad ones in the report.
        case skipRecord = "skip-record"
    }

    enum After: String, Sendable {
        case move
        case delete
    }

    var name: String
    var glob: GlobPattern
    var poll: Duration
    var readiness: Readiness
    var format: Format
    var mapping: WebhookMapping
    var onError: OnError
    var after: After
    /// Where taken files go (`after: move`); relative paths are under the inbox's parent.
    var processedDirectory: String
    /// Where rejected files and every report go.
    var errorDirectory: String
    /// Records per transaction.
    var batchSize: Int
}
