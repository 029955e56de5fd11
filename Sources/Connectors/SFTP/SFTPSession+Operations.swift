import CLibSSH2
import Foundation

/// One entry of a remote directory.
public struct SFTPEntry: Sendable, Equatable {
    public var name: String
    public var size: UInt64
    public var modified: Date
    public var isDirectory: Bool

    public init(name: String, size: UInt64, modified: Date, isDirectory: Bool) {
        self.name = name
        self.size = size
        self.modified = modified
        self.isDirectory = isDirectory
    }
}

/// The blocking SFTP operations. Each runs on the session's queue (call them inside `run`).
extension SFTPSession {
    static let fileMode = 0o644
    static let directoryMode = 0o755
    /// How much one `libssh2_sftp_write` is handed: libssh2 splits it into packets and keeps
    /// several in flight, so a large buffer is what makes a big upload fast.
    static let writeChunk = 1 << 20

    func attributes(of path: String) throws -> SFTPEntry? {
        var attributes = LIBSSH2_SFTP_ATTRIBUTES()
        let result = libssh2_sftp_stat_ex(sftp, path, UInt32(path.utf8.count), LIBSSH2_SFTP_STAT, &attributes)
        guard result == 0 else {
            let error = lastError(doing: "stat \(path)")
            if error.isNoSuchFile { return nil }
            throw error
        }
        return Self.entry(named: (path as NSString).lastPathComponent, attributes)
    }

    /// `mkdir -p`: each missing directory of `path`, parents first.
    func makeDirectories(_ path: String) throws {
        guard !path.isEmpty, path != "/", path != ".", !knownDirectories.contains(path) else { return }
        if let existing = try attributes(of: path) {
            guard existing.isDirectory else {
                throw SFTPError(.status(19), "\(path) exists and is not a directory")
            }
            knownDirectories.insert(path)
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectories(parent) }
        if libssh2_sftp_mkdir_ex(sftp, path, UInt32(path.utf8.count), Int(Self.directoryMode)) != 0 {
            let error = lastError(doing: "mkdir \(path)")
            // Another writer may have made it in the meantime: that is as good.
            guard try attributes(of: path)?.isDirectory == true else { throw error }
        }
        knownDirectories.insert(path)
    }

    /// Writes `bytes` as the whole of `path` (created or truncated).
    func write(_ bytes: Data, to path: String) throws {
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        guard let handle = libssh2_sftp_open_ex(
            sftp, path, UInt32(path.utf8.count), flags, Int(Self.fileMode), LIBSSH2_SFTP_OPENFILE)
        else { throw lastError(doing: "open \(path) for writing") }
        var failure: SFTPError?
        bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) else { return }
            var offset = 0
            while offset < buffer.count {
                let written = libssh2_sftp_write(handle, base + offset, min(Self.writeChunk, buffer.count - offset))
                if written < 0 {
                    failure = lastError(doing: "write \(path)")
                    return
                }
                offset += written
            }
        }
        // Closing is what tells the server the file is complete; its failure fails the write.
        let closed = libssh2_sftp_close_handle(handle)
        if let failure { throw failure }
        if closed != 0 { throw lastError(doing: "close \(path)") }
    }

    /// Renames `source` to `target`. OpenSSH's server (SFTP v3) will not rename onto an existing
    /// file; with `replacing`, an existing target is removed first and the rename made again.
    func rename(_ source: String, to target: String, replacing: Bool) throws {
        let flags = Int(LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE)
        func attempt() -> Bool {
            libssh2_sftp_rename_ex(
                sftp, source, UInt32(source.utf8.count), target, UInt32(target.utf8.count), flags) == 0
        }
        if attempt() { return }
        let error = lastError(doing: "rename \(source) to \(target)")
        guard replacing, error.kind == .status(SFTPError.failure) || error.kind == .status(SFTPError.fileAlreadyExists),
            try attributes(of: target) != nil
        else { throw error }
        try remove(target)
        if !attempt() { throw lastError(doing: "rename \(source) to \(target)") }
    }

    func remove(_ path: String) throws {
        guard libssh2_sftp_unlink_ex(sftp, path, UInt32(path.utf8.count)) == 0 else {
            throw lastError(doing: "remove \(path)")
        }
    }

    /// The entries of `directory`, without `.` and `..`.
    func list(_ directory: String) throws -> [SFTPEntry] {
        guard let handle = libssh2_sftp_open_ex(
            sftp, directory, UInt32(directory.utf8.count), 0, 0, LIBSSH2_SFTP_OPENDIR)
        else { throw lastError(doing: "open directory \(directory)") }
        defer { libssh2_sftp_close_handle(handle) }
        var entries: [SFTPEntry] = []
        var name = [CChar](repeating: 0, count: 1024)
        while true {
            var attributes = LIBSSH2_SFTP_ATTRIBUTES()
            let count = libssh2_sftp_readdir_ex(handle, &name, name.count, nil, 0, &attributes)
            if count == 0 { break }
            guard count > 0 else { throw lastError(doing: "list \(directory)") }
            let text = String(decoding: name[0..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text == "." || text == ".." { continue }
            entries.append(Self.entry(named: text, attributes))
        }
        return entries
    }

    func openForReading(_ path: String) throws -> OpaquePointer {
        guard let handle = libssh2_sftp_open_ex(
            sftp, path, UInt32(path.utf8.count), UInt(LIBSSH2_FXF_READ), 0, LIBSSH2_SFTP_OPENFILE)
        else { throw lastError(doing: "open \(path) for reading") }
        return handle
    }

    /// The next up to `limit` bytes of an open file; empty at its end.
    func read(_ handle: OpaquePointer, limit: Int, path: String) throws -> Data {
        var data = Data(count: limit)
        let count = data.withUnsafeMutableBytes { buffer in
            libssh2_sftp_read(handle, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), limit)
        }
        guard count >= 0 else { throw lastError(doing: "read \(path)") }
        data.removeSubrange(count...)
        return data
    }

    func closeHandle(_ handle: OpaquePointer) {
        libssh2_sftp_close_handle(handle)
    }

    private static func entry(named name: String, _ attributes: LIBSSH2_SFTP_ATTRIBUTES) -> SFTPEntry {
        let has = { (flag: Int32) in attributes.flags & UInt(flag) != 0 }
        let kind = attributes.permissions & UInt(LIBSSH2_SFTP_S_IFMT)
        return SFTPEntry(
            name: name,
            size: has(LIBSSH2_SFTP_ATTR_SIZE) ? attributes.filesize : 0,
            modified: Date(timeIntervalSince1970: has(LIBSSH2_SFTP_ATTR_ACMODTIME) ? TimeInterval(attributes.mtime) : 0),
            isDirectory: has(LIBSSH2_SFTP_ATTR_PERMISSIONS) && kind == UInt(LIBSSH2_SFTP_S_IFDIR)
        )
    }
}
