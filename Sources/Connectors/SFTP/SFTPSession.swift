import CLibSSH2
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One logged-in SSH connection with its SFTP channel, driven by libssh2's blocking calls.
///
/// libssh2 blocks, and Swift's cooperative pool has only as many threads as cores: every call runs
/// on this session's own serial dispatch queue, never on the pool. A session is used by one task at
/// a time (``SFTPSessionPool`` hands it out), and only ever on its queue.
final class SFTPSession: @unchecked Sendable {
    private let queue: DispatchQueue
    private let socket: Int32
    let session: OpaquePointer
    let sftp: OpaquePointer
    /// Directories this session made or saw, so a steady stream of uploads does not stat them each time.
    var knownDirectories: Set<String> = []
    private var isClosed = false

    /// libssh2 wants one global initialisation per process before any session.
    private static let libraryReady: Bool = libssh2_init(0) == 0

    private init(queue: DispatchQueue, socket: Int32, session: OpaquePointer, sftp: OpaquePointer) {
        self.queue = queue
        self.socket = socket
        self.session = session
        self.sftp = sftp
    }

    deinit {
        if !isClosed { tearDown(broken: false) }
    }

    /// Closes a session that failed, on its own queue. The socket is shut first, so libssh2's
    /// goodbyes fail at once instead of waiting out the timeout on a server that went silent.
    func discard() {
        queue.async { self.tearDown(broken: true) }
    }

    private func tearDown(broken: Bool) {
        isClosed = true
        if broken { shutdown(socket, Int32(SHUT_RDWR)) }
        libssh2_sftp_shutdown(sftp)
        if !broken { libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "", "") }
        libssh2_session_free(session)
        close(socket)
    }

    /// Connects, checks the host key, logs in and opens SFTP, on a new session queue.
    static func open(_ configuration: SFTPClient.Configuration) async throws -> SFTPSession {
        let queue = DispatchQueue(label: "hub.sftp.\(configuration.host)")
        return try await run(on: queue) { try connect(configuration, queue: queue) }
    }

    /// Runs `body` with this session on its queue.
    func run<T: Sendable>(_ body: @escaping @Sendable (SFTPSession) throws -> T) async throws -> T {
        try await Self.run(on: queue) { try body(self) }
    }

    private static func run<T: Sendable>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws -> T)
        async throws -> T
    {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private static func connect(_ configuration: SFTPClient.Configuration, queue: DispatchQueue) throws -> SFTPSession {
        guard libraryReady else { throw SFTPError(.transport, "libssh2 could not be initialised") }
        let address = "\(configuration.host):\(configuration.port)"
        let socket = try TCPConnection.open(host: configuration.host, port: configuration.port,
                                            timeout: configuration.timeout)
        guard let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            close(socket)
            throw SFTPError(.transport, "libssh2 could not make a session")
        }
        func fail(_ error: SFTPError) -> SFTPError {
            libssh2_session_free(session)
            close(socket)
            return error
        }
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, Int(configuration.timeout.milliseconds))
        let handshake = libssh2_session_handshake(session, socket)
        guard handshake == 0 else {
            throw fail(transportError(session, code: handshake, doing: "SSH handshake with \(address)"))
        }
        // Before anything about us goes over the wire: is this the server we mean?
        do {
            try configuration.hostKey.verify(session: session, host: configuration.host, port: configuration.port)
        } catch let error as SFTPError {
            throw fail(error)
        }
        let user = configuration.user
        // Given the public half when it sits beside the key; libssh2 derives it otherwise.
        let publicKey = configuration.privateKey + ".pub"
        let login = libssh2_userauth_publickey_fromfile_ex(
            session, user, UInt32(user.utf8.count),
            FileManager.default.isReadableFile(atPath: publicKey) ? publicKey : nil, configuration.privateKey, "")
        guard login == 0 else {
            let detail = lastErrorMessage(session)
            switch login {
            case LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND,
                LIBSSH2_ERROR_SOCKET_DISCONNECT:
                throw fail(transportError(session, code: login, doing: "logging in to \(address)"))
            case LIBSSH2_ERROR_FILE:
                throw fail(SFTPError(.authenticationFailed,
                                     "private key \(configuration.privateKey) could not be read or parsed (\(detail))"))
            default:
                throw fail(SFTPError(.authenticationFailed,
                                     "\(address) refused user \(user) with key \(configuration.privateKey) (\(detail))"))
            }
        }
        guard let sftp = libssh2_sftp_init(session) else {
            let code = libssh2_session_last_errno(session)
            throw fail(transportError(session, code: code, doing: "starting SFTP on \(address)"))
        }
        return SFTPSession(queue: queue, socket: socket, session: session, sftp: sftp)
    }

    /// The error for a failed libssh2 call: an SFTP status when the server answered one, otherwise
    /// a timeout or a broken connection.
    func lastError(doing what: String) -> SFTPError {
        let code = libssh2_session_last_errno(session)
        if code == LIBSSH2_ERROR_SFTP_PROTOCOL {
            let status = libssh2_sftp_last_error(sftp)
            return SFTPError(.status(status), "\(what): \(SFTPError.statusName(status))")
        }
        return Self.transportError(session, code: code, doing: what)
    }

    private static func transportError(_ session: OpaquePointer, code: Int32, doing what: String) -> SFTPError {
        let detail = lastErrorMessage(session)
        if code == LIBSSH2_ERROR_TIMEOUT || code == LIBSSH2_ERROR_SOCKET_TIMEOUT {
            return SFTPError(.timeout, "\(what): timed out")
        }
        return SFTPError(.transport, "\(what): \(detail.isEmpty ? "libssh2 error \(code)" : detail)")
    }

    private static func lastErrorMessage(_ session: OpaquePointer) -> String {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        libssh2_session_last_error(session, &message, &length, 0)
        return message.map { String(cString: $0) } ?? ""
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
