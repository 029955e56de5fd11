import Foundation
import HubTestSupport
import Outbox
import Testing

@Suite struct OpsStoreTests {
    @Test func redriveAndRetryReopenTheFailedJobStepOfADeadVendorDelivery() async throws {
        try await withStore { store, database in
            var first = submission(to: ["valuation"])
            first.jobVendors = ["valuation": .sync]
            var second = submission(to: ["valuation"])
            second.jobVendors = ["valuation": .sync]
            let results = try await store.accept([first, second])
            let ids = results.compactMap { result -> UUID? in
                guard case .accepted(_, let deliveries) = result else { return nil }
                return deliveries.first?.id
            }
            try await database.withClient { client in
                try await client.query("UPDATE deliveries SET status = 'dead', attempts = 1")
                try await client.query("UPDATE job_steps SET status = 'failed', error = 'sink says 500'")
            }
            #expect(try await store.retryDelivery(id: ids[0]) == .queued)
            #expect(try await store.redriveBatch(DeliveryFilter(), after: nil, limit: 10) == [ids[1]])
            #expect(try await database.scalar("SELECT count(*) FROM job_steps WHERE status = 'pending' AND error IS NULL") == 2)
            #expect(try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'pending'") == 2)
            #expect(try await store.retryDelivery(id: UUID()) == .notFound)
        }
    }
}
