import Crypto
import Foundation
import NIOCore
import PostgresNIO

extension OutboxStore {
    /// The bytes of the file `message` carries, in order; empty when it carries none.
    public func fileContents(of message: UUID) async throws -> ByteBuffer {
        try await run {
            var contents = ByteBuffer()
            let rows = try await client.query(
                "SELECT content FROM message_files WHERE message_id = \(message) ORDER BY seq", logger: logger)
            for try await chunk in rows.decode(ByteBuffer.self) {
                contents.writeImmutableBuffer(chunk)
            }
            return contents
        }
    }
}

/// Writes a message's file into `message_files` in chunks as it is produced, on the connection
/// of the transaction that will commit the message, so a file is never stored without its
/// message and memory holds one chunk, not the file. Counts the bytes and hashes them.
public final class MessageFileWriter {
    /// Big enough that a 10 MB feed is ~40 rows, small enough to keep memory flat.
    public static let chunkSize = 256 * 1024

    public let messageId: UUID
    private let connection: PostgresConnection
    private let logger: Logger
    private var buffer: [UInt8] = []
    private var hasher = SHA256()
    private var nextSeq = 0
    public private(set) var bytes = 0

    init(messageId: UUID, connection: PostgresConnection, logger: Logger) {
        self.messageId = messageId
        self.connection = connection
        self.logger = logger
        buffer.reserveCapacity(Self.chunkSize)
    }

    public func write(_ data: [UInt8]) async throws {
        buffer.append(contentsOf: data)
        bytes += data.count
        if buffer.count >= Self.chunkSize { try await flush() }
    }

    /// Stores what is buffered; returns the file's SHA-256 (lowercase hex).
    public func finish() async throws -> String {
        try await flush()
        return hasher.finalize().lowercaseHex
    }

    private func flush() async throws {
        guard !buffer.isEmpty else { return }
        hasher.update(data: buffer)
        let chunk = ByteBuffer(bytes: buffer)
        buffer.removeAll(keepingCapacity: true)
        try await connection.query(
            "INSERT INTO message_files (message_id, seq, content) VALUES (\(messageId), \(nextSeq), \(chunk))",
            logger: logger)
        nextSeq += 1
    }
}
