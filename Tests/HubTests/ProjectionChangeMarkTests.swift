import Foundation
import HubTestSupport
import Outbox
import PostgresNIO
import Testing

@testable import Connectors

/// `changeMark`: what feeds compare to know that a collection changed.
@Suite struct ProjectionChangeMarkTests {
    func withStore(_ body: @Sendable (ProjectionStore, ProjectionCollection) async throws -> Void) async throws {
        let database = try await TestDatabase.create()
        let collection = try SearchFixtures.collection()
        try await database.withClient { client in
            try await Migrator(client: client, logger: testLogger()).migrate()
            try await body(ProjectionStore(client: client, logger: testLogger()), collection)
        }
    }

    func record(_ subject: String, at seconds: Double, deleted: Bool = false) -> ProjectionRecord {
        ProjectionRecord(
            collection: "vehicles", subject: subject, versionTime: Date(timeIntervalSince1970: 1_780_000_000 + seconds),
            versionId: UUIDv7.make(), document: deleted ? nil : #"{"vin":"\#(subject)"}"#
        )
    }

    @Test func growsWithEveryChangeAndOnlyThen() async throws {
        try await withStore { store, _ in
            #expect(try await store.changeMark(collection: "vehicles") == 0)
            try await store.write(record("V1", at: 10), language: "english")
            let written = try await store.changeMark(collection: "vehicles")
            #expect(written > 0)

            #expect(try await !store.write(record("V1", at: 5), language: "english"))
            #expect(try await store.changeMark(collection: "vehicles") == written, "a refused older write changes nothing")
            #expect(try await store.changeMark(collection: "boats") == 0, "other collections have their own mark")

            try await store.write(record("V1", at: 20, deleted: true), language: "english")
            let tombstoned = try await store.changeMark(collection: "vehicles")
            #expect(tombstoned > written)

            try await store.client.query("DELETE FROM projection_documents WHERE collection = 'vehicles'")
            #expect(try await store.changeMark(collection: "vehicles") > tombstoned, "a physical delete is a change too")
        }
    }
}
