import Foundation

/// A file waiting in a drop folder's inbox.
public struct DropEntry: Sendable, Hashable {
    public var name: String
    public var size: Int
    public var mtime: Date

    public init(name: String, size: Int, mtime: Date) {
        self.name = name
        self.size = size
        self.mtime = mtime
    }
}

/// The folder a partner drops files into (an SFTP directory), as a drop source sees it: an inbox
/// of plain files, and sibling directories the files are moved to once taken.
public protocol DropFolder: Sendable {
    /// The inbox path, for reports and the record of each file.
    var inbox: String { get }
    /// The regular files directly in the inbox.
    func list() async throws -> [DropEntry]
    /// Copies the inbox file `name` to the local file `destination`, streaming.
    func download(_ name: String, to destination: URL) async throws
    /// Moves the inbox file `name` into `directory` (created when missing), replacing a file of
    /// that name there.
    func move(_ name: String, toDirectory directory: String) async throws
    func remove(_ name: String) async throws
    /// Writes `contents` as `name` in `directory` (created when missing).
    func write(_ contents: Data, as name: String, inDirectory directory: String) async throws
}
