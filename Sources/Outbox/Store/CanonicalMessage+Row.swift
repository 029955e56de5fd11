import Foundation
import PostgresNIO

extension CanonicalMessage {
    /// The message columns every read selects, in this order, after any columns of its own.
    static let columns = """
        m.id, m.source, m.type, m.subject, m.time, m.datacontenttype, m.data::text, m.idempotency_key,
        m.content_hash, m.received_at, m.correlation_id, m.extensions::text
        """

    /// Rebuilds a message from ``columns``, starting at column `first` of `row`.
    init(row: PostgresRandomAccessRow, startingAt first: Int) throws {
        self.init(
            id: try row[first].decode(UUID.self), source: try row[first + 1].decode(String.self),
            type: try row[first + 2].decode(String.self), subject: try row[first + 3].decode(String?.self),
            time: try row[first + 4].decode(Date.self), dataContentType: try row[first + 5].decode(String.self),
            data: try row[first + 6].decode(String.self), idempotencyKey: try row[first + 7].decode(String?.self),
            contentHash: try row[first + 8].decode(String.self), receivedAt: try row[first + 9].decode(Date.self),
            correlationId: try row[first + 10].decode(String?.self),
            extensions: try row[first + 11].decode(String?.self)
        )
    }
}

extension CanonicalMessage {
    /// The message as a read from the database returns it: Postgres keeps times to the
    /// microsecond, so a delivery started from memory renders the same bytes as a later retry.
    var asStored: CanonicalMessage {
        var stored = self
        stored.time = Self.roundTripped(time)
        stored.receivedAt = Self.roundTripped(receivedAt)
        return stored
    }

    private static func roundTripped(_ date: Date) -> Date {
        var buffer = ByteBuffer()
        date.encode(into: &buffer, context: .default)
        return (try? Date(from: &buffer, type: .timestamptz, format: .binary, context: .default)) ?? date
    }
}
