import Foundation

/// A file a drop source found: where it was and what it held.
public struct DroppedFile: Sendable, Hashable {
    public var source: String
    public var path: String
    public var size: Int
    public var mtime: Date
    /// Lowercase hex SHA-256 of the content: the file's identity, whatever its name.
    public var sha256: String

    public init(source: String, path: String, size: Int, mtime: Date, sha256: String) {
        self.source = source
        self.path = path
        self.size = size
        self.mtime = mtime
        self.sha256 = sha256
    }

    /// The idempotency key of the file's record at `index`: the same content dropped again, or
    /// read again after a crash, yields the same keys and so no second message.
    public func recordKey(_ index: Int) -> DedupKey {
        DedupKey(scope: "file:\(source)", key: "\(sha256):\(index)")
    }
}

/// What the store knows of a file content.
public struct FileIntake: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Batches are being committed; `nextRecord` says where to resume.
        case ingesting
        case ingested
        case rejected
    }

    public var status: Status
    public var path: String
    /// Records before this index are committed.
    public var nextRecord: Int
    /// Messages committed from this file.
    public var records: Int
    /// Bad records left out under `skip-record`.
    public var skipped: Int
    public var report: String?
}

/// The progress a batch of a file's records makes, committed with the batch.
public struct FileProgress: Sendable {
    public var file: DroppedFile
    public var nextRecord: Int
    public var skipped: Int
    /// Set on the file's last batch.
    public var finished: Bool
    public var report: String?

    public init(file: DroppedFile, nextRecord: Int, skipped: Int, finished: Bool, report: String? = nil) {
        self.file = file
        self.nextRecord = nextRecord
        self.skipped = skipped
        self.finished = finished
        self.report = report
    }
}
