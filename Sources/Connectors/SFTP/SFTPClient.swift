import Foundation

/// An SFTP client for one server and user: a bounded pool of sessions (key login, pinned host key)
/// and the file operations destinations and drop sources need.
///
/// Paths are as the server sees them: relative ones start in the user's login directory.
public final class SFTPClient: Sendable {
    public struct Configuration: Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var user: String
        /// Path of the private key (ed25519: libssh2 1.10 signs RSA only with SHA-1, which OpenSSH 9 refuses).
        public var privateKey: String
        public var hostKey: HostKeyPolicy
        /// Bounds connecting and every blocking call.
        public var timeout: Duration
        /// Sessions open at once to this server.
        public var poolSize: Int

        public init(
            host: String, port: Int = 22, user: String, privateKey: String, hostKey: HostKeyPolicy,
            timeout: Duration = .seconds(10), poolSize: Int = 4
        ) {
            self.host = host
            self.port = port
            self.user = user
            self.privateKey = privateKey
            self.hostKey = hostKey
            self.timeout = timeout
            self.poolSize = max(1, poolSize)
        }

        public var description: String { "sftp://\(user)@\(host):\(port) (\(hostKey), pool \(poolSize))" }
    }

    public let configuration: Configuration
    private let pool: SFTPSessionPool

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.pool = SFTPSessionPool(configuration: configuration)
    }

    /// How many sessions this client has logged in so far (a reused session is not counted again).
    public var sessionsOpened: Int { pool.sessionsOpened }

    /// Writes `bytes` to `path` so that nobody ever sees part of it: the bytes go to a hidden
    /// temporary name in the same directory, which is then renamed to `path` (replacing a file
    /// already there). Missing directories are made first.
    public func upload(_ bytes: Data, to path: String) async throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        try await withSession { session in
            let temporary = (directory.isEmpty ? "" : directory + "/")
                + ".\(name).\(UUID().uuidString.prefix(8).lowercased()).part"
            try session.makeDirectories(directory)
            do {
                try session.write(bytes, to: temporary)
            } catch let error as SFTPError where error.isNoSuchFile && !directory.isEmpty {
                // The directory was there once and has been removed since: make it again.
                session.knownDirectories.removeAll()
                try session.makeDirectories(directory)
                try session.write(bytes, to: temporary)
            } catch let error as SFTPError where !error.breaksSession {
                try? session.remove(temporary)
                throw error
            }
            do {
                try session.rename(temporary, to: path, replacing: true)
            } catch let error as SFTPError where !error.breaksSession {
                try? session.remove(temporary)
                throw error
            }
        }
    }

    /// The entries of `directory` with size and modification time, without `.` and `..`.
    public func list(_ directory: String) async throws -> [SFTPEntry] {
        try await withSession { try $0.list(directory) }
    }

    /// Size, time and kind of `path`, or `nil` if there is nothing there.
    public func attributes(of path: String) async throws -> SFTPEntry? {
        try await withSession { try $0.attributes(of: path) }
    }

    /// Streams the bytes of `path` to `consume`, `chunkSize` at a time.
    public func read(_ path: String, chunkSize: Int = 256 << 10, _ consume: (Data) async throws -> Void)
        async throws
    {
        let (session, _) = try await pool.borrow()
        var healthy = true
        defer { if healthy { pool.giveBack(session) } else { pool.discard(session) } }
        do {
            let handle = try await session.run { UnsafeSendable(try $0.openForReading(path)) }
            var failure: (any Error)?
            do {
                while true {
                    let chunk = try await session.run { try $0.read(handle.value, limit: chunkSize, path: path) }
                    if chunk.isEmpty { break }
                    try await consume(chunk)
                }
            } catch {
                failure = error
            }
            try await session.run { $0.closeHandle(handle.value) }
            if let failure { throw failure }
        } catch let error as SFTPError {
            healthy = !error.breaksSession
            throw error
        }
    }

    /// Renames `source` to `target`; with `replacing`, a file already at `target` is replaced.
    public func rename(_ source: String, to target: String, replacing: Bool = false) async throws {
        try await withSession { try $0.rename(source, to: target, replacing: replacing) }
    }

    public func remove(_ path: String) async throws {
        try await withSession { try $0.remove(path) }
    }

    /// Makes `path` and each missing parent (`mkdir -p`).
    public func makeDirectories(_ path: String) async throws {
        try await withSession { try $0.makeDirectories(path) }
    }

    /// Runs `body` on a pooled session. A session the server dropped while it sat idle fails on
    /// first use: that failure is not the operation's, so it runs again on a fresh session.
    private func withSession<T: Sendable>(_ body: @escaping @Sendable (SFTPSession) throws -> T) async throws -> T {
        var tries = 0
        while true {
            tries += 1
            let (session, reused) = try await pool.borrow()
            do {
                let result = try await session.run(body)
                pool.giveBack(session)
                return result
            } catch let error as SFTPError where error.breaksSession {
                pool.discard(session)
                if reused && tries <= configuration.poolSize { continue }
                throw error
            } catch {
                pool.giveBack(session)
                throw error
            }
        }
    }
}

/// A libssh2 handle carried between hops onto the session's queue; only that queue touches it.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
