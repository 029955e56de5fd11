import Foundation
import HubTestSupport
import Outbox
import PostgresNIO
import Testing

@Suite struct RetentionTests {
    /// Sets one delivery's state as if it had finished `daysAgo` days ago, with one attempt.
    private func finish(_ id: UUID, as status: String, daysAgo: Int, in client: PostgresClient) async throws {
        try await client.query(
            """
            UPDATE deliveries SET status = \(status), attempts = 1,
                   delivered_at = CASE WHEN \(status) = 'delivered' THEN now() - \(daysAgo) * interval '1 day' END,
                   created_at = now() - \(daysAgo) * interval '1 day'
            WHERE id = \(id)
            """
        )
        try await client.query(
            """
            INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, relay)
            VALUES (\(id), 1, now() - \(daysAgo) * interval '1 day', 5, \(status), 'test')
            """
        )
    }

    /// As a webhook arrives: with the request it came in, kept beside the message.
    private func withRawRequest(_ submission: Submission) -> Submission {
        var submission = submission
        submission.inbound = InboundRecord(headers: ["webhook-id": submission.dedup?.key ?? ""], body: #"{"n":1}"#, redacted: false)
        return submission
    }

    private func deliveryId(_ result: AcceptResult) throws -> (message: UUID, delivery: UUID) {
        guard case .accepted(let message, let deliveries) = result, let delivery = deliveries.first else {
            throw TestEnvironmentError(description: "not accepted: \(result)")
        }
        return (message, delivery.id)
    }

    @Test func purgesOldDeliveredRowsAndKeepsDeadAndRecentOnes() async throws {
        try await withStore { store, database in
            let results = try await store.accept([
                submission(key: "old-delivered-1"), submission(key: "old-delivered-2"), submission(key: "old-delivered-3"),
                submission(key: "old-dead"), submission(key: "recent-delivered"), submission(key: "pending"),
            ].map(withRawRequest))
            let rows = try results.map(deliveryId)
            try await database.withClient { client in
                for row in rows[0..<3] { try await finish(row.delivery, as: "delivered", daysAgo: 40, in: client) }
                try await finish(rows[3].delivery, as: "dead", daysAgo: 40, in: client)
                try await finish(rows[4].delivery, as: "delivered", daysAgo: 1, in: client)
                // Every message but the pending one was received long ago.
                try await client.query(
                    "UPDATE messages SET received_at = now() - interval '40 days' WHERE id <> \(rows[5].message)"
                )
            }
            let retention = RetentionService(
                store: store,
                policy: RetentionPolicy(
                    delivered: .seconds(7 * 86400), attempts: .seconds(7 * 86400), messages: .seconds(30 * 86400),
                    batch: 2
                ),
                logger: testLogger()
            )
            let purged = try await retention.purgeOnce()
            #expect(purged.attempts == 3 && purged.deliveries == 3)
            // The old delivered ones' messages go; the dead one's message stays with it, and so
            // does the message of the recent delivery (its delivery is still kept).
            #expect(purged.messages == 3)

            let remaining = Set(try await store.listDeliveries(DeliveryFilter(), limit: 100).map(\.delivery.id))
            #expect(remaining == [rows[3].delivery, rows[4].delivery, rows[5].delivery])
            #expect(try await database.scalar("SELECT count(*) FROM delivery_attempts") == 2, "dead and recent attempts stay")
            #expect(try await database.scalar("SELECT count(*) FROM messages") == 3)
            #expect(try await database.scalar("SELECT count(*) FROM inbound_keys") == 3, "purged messages' keys go with them")
            #expect(try await database.scalar("SELECT count(*) FROM inbound_requests") == 3, "and so do their raw requests")
            #expect(try await retention.purgeOnce() == (0, 0, 0), "nothing more to purge")
        }
    }

    @Test func attemptsCanBeKeptShorterThanDeliveries() async throws {
        try await withStore { store, database in
            let row = try deliveryId(try await store.accept([submission()])[0])
            try await database.withClient { client in try await finish(row.delivery, as: "delivered", daysAgo: 3, in: client) }
            let retention = RetentionService(
                store: store, policy: RetentionPolicy(delivered: .seconds(7 * 86400), attempts: .seconds(86400)),
                logger: testLogger()
            )
            #expect(try await retention.purgeOnce() == (1, 0, 0))
            #expect(try await database.scalar("SELECT count(*) FROM deliveries") == 1)
        }
    }
}
