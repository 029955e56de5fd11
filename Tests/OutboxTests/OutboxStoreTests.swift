import Foundation
import HubTestSupport
import Outbox
import PostgresNIO
import Testing

/// Runs `body` against a freshly migrated schema.
func withStore<Result: Sendable>(_ body: @Sendable (OutboxStore, TestDatabase) async throws -> Result) async throws -> Result {
    let database = try await TestDatabase.create()
    return try await database.withClient { client in
        let store = OutboxStore(client: client, logger: testLogger())
        try await Migrator(client: client, logger: testLogger()).migrate()
        return try await body(store, database)
    }
}

func submission(_ type: String = "order.created", to destinations: [String] = ["crm"], key: String? = nil) -> Submission {
    Submission(
        message: CanonicalMessage(source: "test", type: type, subject: "A1", data: .object(["n": .int(1)])),
        destinations: destinations, dedup: key.map { DedupKey(scope: "token:test", key: $0) }
    )
}

@Suite struct OutboxStoreTests {
    @Test func migrationsApplyOnceEvenWhenRacing() async throws {
        let database = try await TestDatabase.create()
        try await database.withClient { client in
            let migrator = Migrator(client: client, logger: testLogger())
            async let first = migrator.migrate()
            async let second = migrator.migrate()
            let applied = try await first + second
            #expect(applied == Migrations.all.map(\.version))
            #expect(try await migrator.currentVersion() == Migrations.latestVersion)
            #expect(try await migrator.migrate().isEmpty)
        }
    }

    @Test func acceptCommitsMessagesWithOneDeliveryPerDestination() async throws {
        try await withStore { store, database in
            let results = try await store.accept([submission(to: ["crm", "search"]), submission(to: [])])
            guard case .accepted(let id, let deliveries) = results[0], case .accepted(_, let none) = results[1] else {
                Issue.record("expected two accepted results: \(results)")
                return
            }
            #expect(deliveries.map(\.destination) == ["crm", "search"])
            #expect(none.isEmpty)
            #expect(try await database.scalar("SELECT count(*) FROM messages") == 2)
            #expect(try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'pending'") == 2)
            let record = try #require(try await store.message(id: id))
            #expect(record.message.data == #"{"n":1}"#)
            #expect(record.deliveries.map(\.status) == [.pending, .pending])
        }
    }

    @Test func aRepeatedKeyWritesNothingAndNamesTheOriginal() async throws {
        try await withStore { store, database in
            let first = try await store.accept([submission(key: "k1")])
            guard case .accepted(let original, _) = first[0] else { Issue.record("not accepted"); return }
            // Again in a later batch, and twice within one batch.
            let later = try await store.accept([submission(key: "k1"), submission(key: "k2"), submission(key: "k2")])
            #expect(later[0] == .duplicate(originalId: original))
            guard case .accepted(let k2, _) = later[1] else { Issue.record("k2 not accepted"); return }
            #expect(later[2] == .duplicate(originalId: k2))
            #expect(try await database.scalar("SELECT count(*) FROM messages") == 2)
            #expect(try await database.scalar("SELECT count(*) FROM deliveries") == 2)
        }
    }

    @Test func concurrentSubmissionsOfOneKeyStoreOneMessage() async throws {
        try await withStore { store, database in
            let results = try await withThrowingTaskGroup(of: AcceptResult.self) { group in
                for _ in 0..<20 { group.addTask { try await store.accept([submission(key: "same")])[0] } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let ids = Set(results.map { result -> UUID in
                switch result {
                case .accepted(let id, _): id
                case .duplicate(let id): id
                }
            })
            #expect(ids.count == 1)
            #expect(results.filter { if case .accepted = $0 { true } else { false } }.count == 1)
            #expect(try await database.scalar("SELECT count(*) FROM messages") == 1)
        }
    }

    @Test func claimsNeverOverlapAndLeasesExpireIntoRescue() async throws {
        try await withStore { store, database in
            _ = try await store.accept((0..<10).map { _ in submission() })
            let first = try await store.claim(destination: "crm", limit: 6, owner: "a", lease: .seconds(60))
            let second = try await store.claim(destination: "crm", limit: 6, owner: "b", lease: .milliseconds(1))
            #expect(first.count == 6)
            #expect(second.count == 4)
            #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
            #expect(second.allSatisfy { $0.attempt == 1 && $0.message.type == "order.created" })
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await store.rescueExpiredLeases() == 4)
            #expect(try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'pending'") == 4)
            #expect(try await database.scalar("SELECT count(*) FROM delivery_attempts WHERE outcome = 'lost'") == 4)
            // b lost its lease: its late report must not overwrite the rescued rows.
            let stale = second.map { delivery in
                RecordedOutcome(
                    deliveryId: delivery.id, status: .delivered, nextAttemptAt: Date(),
                    attempt: DeliveryAttempt(attempt: 1, startedAt: Date(), durationMilliseconds: 1, outcome: "delivered")
                )
            }
            try await store.record(stale, owner: "b")
            #expect(try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 0)
            let again = try await store.claim(destination: "crm", limit: 10, owner: "c", lease: .seconds(60))
            #expect(again.count == 4)
            #expect(again.allSatisfy { $0.attempt == 2 })
        }
    }

    @Test func aRetryIsNotClaimedBeforeItIsDue() async throws {
        try await withStore { store, _ in
            _ = try await store.accept([submission()])
            let claimed = try await store.claim(destination: "crm", limit: 1, owner: "a", lease: .seconds(60))
            let retry = RecordedOutcome(
                deliveryId: claimed[0].id, status: .pending, nextAttemptAt: Date().addingTimeInterval(2),
                attempt: DeliveryAttempt(
                    attempt: 1, startedAt: Date(), durationMilliseconds: 3, outcome: "retry", httpStatus: 503,
                    error: "HTTP 503", responseExcerpt: "busy"
                )
            )
            try await store.record([retry], owner: "a")
            #expect(try await store.claim(destination: "crm", limit: 1, owner: "a", lease: .seconds(60)).isEmpty)
            try await Task.sleep(for: .milliseconds(2_100))
            #expect(try await store.claim(destination: "crm", limit: 1, owner: "a", lease: .seconds(60)).count == 1)
            let record = try #require(try await store.message(id: claimed[0].message.id))
            let attempt = try #require(record.deliveries.first?.attemptLog.first)
            #expect(attempt.httpStatus == 503)
            #expect(attempt.responseExcerpt == "busy")
        }
    }
}
