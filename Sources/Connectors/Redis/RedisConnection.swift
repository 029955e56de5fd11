import CHiredis
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One connection to Redis over hiredis, with a thread of its own: every hiredis call blocks, so
/// none runs on Swift's cooperative pool. Commands are binary-safe (`redisCommandArgv`). After a
/// connection error (``RedisError/isConnectionLost``) every call fails: close it and connect anew.
public final class RedisConnection: @unchecked Sendable {
    public let endpoint: RedisEndpoint
    private let thread: BlockingThread
    // Touched only on `thread`.
    private let context: UnsafeMutablePointer<redisContext>
    private var lost: RedisError?
    /// The socket, read once after connecting: `interrupt()` shuts it down from any thread.
    private let socket: Int32
    /// False once the context is freed: its socket number may then belong to another connection.
    private let open = Mutex(true)

    private init(endpoint: RedisEndpoint, thread: BlockingThread, context: UnsafeMutablePointer<redisContext>) {
        self.endpoint = endpoint
        self.thread = thread
        self.context = context
        socket = context.pointee.fd
    }

    /// Connects within `timeout`, then logs in and selects the database when the endpoint asks.
    /// - Parameter readTimeout: the longest any reply may take; nil waits forever (pub/sub).
    public static func connect(
        to endpoint: RedisEndpoint, timeout: Duration = .seconds(5), readTimeout: Duration? = .seconds(10)
    ) async throws -> RedisConnection {
        let thread = BlockingThread(name: "hub-redis \(endpoint)")
        let context: UnsafeMutablePointer<redisContext>
        do {
            context = try await thread.run { () throws -> ContextHandle in
                guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), timeValue(timeout)) else {
                    throw RedisError.connection("cannot allocate a hiredis context")
                }
                if context.pointee.err != 0 {
                    let message = errorText(context)
                    redisFree(context)
                    throw RedisError.connection("cannot connect to \(endpoint): \(message)")
                }
                _ = redisEnableKeepAlive(context)
                if let readTimeout { _ = redisSetTimeout(context, timeValue(readTimeout)) }
                return ContextHandle(pointer: context)
            }.pointer
        } catch {
            thread.stop()
            throw error
        }
        let connection = RedisConnection(endpoint: endpoint, thread: thread, context: context)
        do {
            if let password = endpoint.password {
                let login = [endpoint.username, password].compactMap { $0 }
                _ = try await connection.command(["AUTH"] + login).orThrow()
            }
            if endpoint.database != 0 { _ = try await connection.command(["SELECT", "\(endpoint.database)"]).orThrow() }
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Sends one command and waits for its reply. An error reply comes back as `.error`, not thrown:
    /// use ``RedisReply/orThrow()`` where an error means failure.
    public func command(_ arguments: [String]) async throws -> RedisReply {
        try await command(bytes: arguments.map { Array($0.utf8) })
    }

    /// The binary-safe form: each argument is sent as the exact bytes given.
    public func command(bytes arguments: [[UInt8]]) async throws -> RedisReply {
        try await thread.run { try self.send(arguments) }
    }

    /// Waits for the next reply the server pushes (after SUBSCRIBE: messages).
    public func receive() async throws -> RedisReply {
        try await thread.run { try self.readReply() }
    }

    /// Waits for the next pushed reply, then also takes up to `limit - 1` more that have already
    /// arrived (without waiting for them): a subscriber's batch.
    public func receive(upTo limit: Int) async throws -> [RedisReply] {
        try await thread.run {
            var replies = [try self.readReply()]
            while replies.count < limit, let buffered = try self.bufferedReply() { replies.append(buffered) }
            return replies
        }
    }

    /// Wakes a call blocked on this connection (it fails with ``RedisError/connection(_:)``); used to stop
    /// a subscriber that is waiting for a message. The connection is unusable afterwards.
    public func interrupt() {
        open.withLock { isOpen in
            if isOpen { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Frees the connection and ends its thread. Safe to call more than once.
    public func close() async {
        _ = try? await thread.run {
            if self.lost != .closed {
                self.open.withLock { $0 = false }
                redisFree(self.context)
                self.lost = .closed
            }
        }
        thread.stop()
    }

    // MARK: on the connection's thread

    private func send(_ arguments: [[UInt8]]) throws -> RedisReply {
        if let lost { throw lost }
        // One buffer holds every argument; argv points into it. A spare byte keeps its base valid when all are empty.
        var buffer = [UInt8]()
        buffer.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        for argument in arguments {
            offsets.append(buffer.count)
            buffer.append(contentsOf: argument)
        }
        buffer.append(0)
        let lengths = arguments.map(\.count)
        let raw: UnsafeMutableRawPointer? = buffer.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { base in
                var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
                return argv.withUnsafeMutableBufferPointer { argvBuffer in
                    lengths.withUnsafeBufferPointer { lengthBuffer in
                        redisCommandArgv(context, Int32(arguments.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
                    }
                }
            }
        }
        return try take(raw)
    }

    private func readReply() throws -> RedisReply {
        if let lost { throw lost }
        var raw: UnsafeMutableRawPointer?
        _ = redisGetReply(context, &raw)
        return try take(raw)
    }

    /// A reply already read off the socket, if a whole one is there; never waits.
    private func bufferedReply() throws -> RedisReply? {
        if let lost { throw lost }
        var raw: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { return try take(nil) }
        guard raw != nil else { return nil }
        return try take(raw)
    }

    /// Copies and frees a reply; a missing one means the connection failed.
    private func take(_ raw: UnsafeMutableRawPointer?) throws -> RedisReply {
        guard let raw else {
            let failure = RedisError.connection(Self.errorText(context))
            lost = failure
            throw failure
        }
        defer { freeReplyObject(raw) }
        return RedisReply(raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if context.pointee.err == REDIS_ERR_EOF { return "the server closed the connection" }
        return text.isEmpty ? "error \(context.pointee.err)" : text
    }

    private static func timeValue(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}

/// Hands the new context from the connection's thread to its owner; only that thread uses it afterwards.
private struct ContextHandle: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<redisContext>
}

extension RedisReply {
    /// The reply, or ``RedisError/server(_:)`` when Redis answered with an error.
    public func orThrow() throws -> RedisReply {
        if case .error(let message) = self { throw RedisError.server(message) }
        return self
    }
}
