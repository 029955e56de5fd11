import Foundation
import PostgresNIO

extension OutboxStore {
    /// Up to `limit` messages with ids above `after` (all when nil), oldest first, each with its
    /// deliveries. Keyset paging on the time-ordered id: a page never shifts when messages are
    /// added, because new ids sort after every id already handed out.
    public func messages(after: UUID?, limit: Int) async throws -> [MessageRecord] {
        try await run {
            // The lowest UUID stands for "from the start", so one statement (and index range) serves both.
            let floor = after ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            let rows = try await client.query(
                """
                SELECT \(unescaped: CanonicalMessage.columns) FROM messages m
                WHERE m.id > \(floor) ORDER BY m.id LIMIT \(limit)
                """,
                logger: logger
            )
            var messages: [CanonicalMessage] = []
            for try await row in rows {
                messages.append(try CanonicalMessage(row: row.makeRandomAccess(), startingAt: 0))
            }
            let deliveries = try await deliveries(ofMessages: messages.map(\.id))
            return messages.map { MessageRecord(message: $0, deliveries: deliveries[$0.id] ?? [], inbound: nil) }
        }
    }
}
