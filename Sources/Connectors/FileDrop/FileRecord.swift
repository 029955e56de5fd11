import Outbox

/// One record of a dropped file, as a JSON value for the mapping to read.
public struct FileRecord: Sendable, Equatable {
    /// 0-based position among the file's records, counting bad ones too, so that the index (and the
    /// idempotency key `<sha256>:<index>` built from it) does not depend on the error policy.
    public var index: Int
    /// 1-based line on which the record starts (for XML, the line of its start tag).
    public var line: Int
    public var value: JSONValue

    public init(index: Int, line: Int, value: JSONValue) {
        self.index = index
        self.line = line
        self.value = value
    }
}

/// A record that cannot be read; the rest of the file can (a CSV row with the wrong number of
/// fields, an NDJSON line that is not JSON).
public struct RecordProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var index: Int?
    public var line: Int
    public var reason: String

    public init(index: Int?, line: Int, reason: String) {
        self.index = index
        self.line = line
        self.reason = reason
    }

    public var description: String {
        "line \(line)" + (index.map { " (record \($0 + 1))" } ?? "") + ": \(reason)"
    }
}

/// A file that cannot be read past some point (an unterminated quote, broken XML): nothing
/// after `line` can be trusted, so the whole file is rejected.
public struct FileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}

/// Reads records from a file's bytes, calling `each` for every record or record-level problem in
/// order. It throws ``FileProblem`` when the file cannot be read on, and rethrows what `each`
/// throws (a caller that stops at the first bad record).
public protocol RecordReader: Sendable {
    func read(_ source: inout ByteChunks, _ each: (Result<FileRecord, RecordProblem>) throws -> Void) throws
}
