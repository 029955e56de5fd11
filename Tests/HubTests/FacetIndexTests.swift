import Foundation
import HubTestSupport
import Outbox
import PostgresNIO
import Testing

@testable import Connectors

/// The in-process facet index stays current with writes made anywhere: through another store
/// (another hub process), by plain SQL, by tombstones and by physical deletes.
@Suite struct FacetIndexTests {
    /// Two stores on one migrated schema: `reader` searches, `writer` stands for another hub.
    func withStores(_ body: @Sendable (_ reader: ProjectionStore, _ writer: ProjectionStore, ProjectionCollection) async throws -> Void)
        async throws
    {
        let database = try await TestDatabase.create()
        let collection = try SearchFixtures.collection()
        try await database.withClient { client in
            try await Migrator(client: client, logger: testLogger()).migrate()
            try await body(
                ProjectionStore(client: client, logger: testLogger()), ProjectionStore(client: client, logger: testLogger()),
                collection
            )
        }
    }

    func write(_ store: ProjectionStore, _ collection: ProjectionCollection, _ subject: String, make: String, at seconds: Double,
               type: String = "vehicle.updated") async throws
    {
        let message = CanonicalMessage(
            source: "test", type: type, subject: subject, time: Date(timeIntervalSince1970: 1_780_000_000 + seconds),
            data: .object(["vin": .string(subject), "title": .string("\(make) car"), "make": .string(make)])
        )
        try await store.write(try collection.record(for: message), language: collection.language)
    }

    func makes(_ result: SearchResult) -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in result.facets.first(where: { $0.name == "make" })?.counts ?? [] {
            if case .keyword(let make) = entry.value { counts[make] = entry.count }
        }
        return counts
    }

    @Test func writesThroughAnotherStoreAreSeenByTheNextSearch() async throws {
        try await withStores { reader, writer, collection in
            try await write(writer, collection, "V1", make: "Toyota", at: 1)
            #expect(makes(try await reader.search(SearchQuery(), in: collection)) == ["Toyota": 1])

            try await write(writer, collection, "V2", make: "Honda", at: 2)
            try await write(writer, collection, "V1", make: "Ford", at: 3)
            let changed = try await reader.search(SearchQuery(), in: collection)
            #expect(makes(changed) == ["Honda": 1, "Ford": 1])
            #expect(changed.hits.map(\.subject) == ["V1", "V2"], "V1 was written last")
            let fords = try await reader.search(SearchQuery(text: "ford"), in: collection)
            #expect(fords.hits.map(\.subject) == ["V1"] && fords.total == 1)
        }
    }

    /// A text searched before is brought up to date, not answered from what it matched then.
    @Test func aRepeatedTextFollowsTheChangedDocuments() async throws {
        try await withStores { reader, writer, collection in
            try await write(writer, collection, "V1", make: "Toyota", at: 1)
            try await write(writer, collection, "V2", make: "Toyota", at: 2)
            #expect(try await reader.search(SearchQuery(text: "toyota"), in: collection).total == 2)

            try await write(writer, collection, "V1", make: "Ford", at: 3)
            try await write(writer, collection, "V3", make: "Toyota", at: 4)
            try await write(writer, collection, "V2", make: "Toyota", at: 5, type: "vehicle.deleted")
            let again = try await reader.search(SearchQuery(text: "toyota"), in: collection)
            #expect(again.hits.map(\.subject) == ["V3"] && again.total == 1)
            #expect(try await reader.search(SearchQuery(text: "ford"), in: collection).hits.map(\.subject) == ["V1"])
        }
    }

    @Test func aTombstoneLeavesTheCountsAndAComebackReturns() async throws {
        try await withStores { reader, writer, collection in
            try await write(writer, collection, "V1", make: "Toyota", at: 1)
            try await write(writer, collection, "V2", make: "Toyota", at: 2)
            #expect(try await reader.search(SearchQuery(), in: collection).total == 2)

            try await write(writer, collection, "V1", make: "Toyota", at: 3, type: "vehicle.deleted")
            let deleted = try await reader.search(SearchQuery(filters: ["make": .equals("Toyota")]), in: collection)
            #expect(deleted.total == 1 && makes(deleted) == ["Toyota": 1] && deleted.hits.map(\.subject) == ["V2"])

            try await write(writer, collection, "V1", make: "Kia", at: 4)
            #expect(makes(try await reader.search(SearchQuery(), in: collection)) == ["Toyota": 1, "Kia": 1])
        }
    }

    /// Plain SQL writes are numbered too, and rows deleted outright make the index reload.
    @Test func sqlWritesAndPhysicalDeletesAreSeen() async throws {
        try await withStores { reader, writer, collection in
            try await write(writer, collection, "V1", make: "Toyota", at: 1)
            try await write(writer, collection, "V2", make: "Honda", at: 2)
            #expect(try await reader.search(SearchQuery(), in: collection).total == 2)

            try await writer.client.query("""
                INSERT INTO projection_documents (collection, subject, version_time, version_id, deleted, document, facets)
                VALUES ('vehicles', 'V3', now(), gen_random_uuid(), false, '{"vin":"V3"}', '{"make":"Audi"}')
                """)
            #expect(makes(try await reader.search(SearchQuery(), in: collection)) == ["Toyota": 1, "Honda": 1, "Audi": 1])

            try await writer.client.query("DELETE FROM projection_documents WHERE subject IN ('V1', 'V3')")
            let purged = try await reader.search(SearchQuery(), in: collection)
            #expect(purged.total == 1 && makes(purged) == ["Honda": 1] && purged.hits.map(\.subject) == ["V2"])
        }
    }

    /// A write numbered after one still open must not be seen first: otherwise the index would
    /// move its mark past the open one's number and never read it once it commits.
    @Test func aWriteThatCommitsLateIsNotSkipped() async throws {
        try await withStores { reader, writer, collection in
            try await write(writer, collection, "V0", make: "Kia", at: 0)
            #expect(try await reader.search(SearchQuery(), in: collection).total == 1)

            try await writer.client.withConnection { connection in
                try await connection.query("BEGIN", logger: testLogger())
                // Reading the RETURNING row makes sure the insert has run (and holds its number).
                let inserted = try await connection.query("""
                    INSERT INTO projection_documents (collection, subject, version_time, version_id, deleted, document, facets)
                    VALUES ('vehicles', 'V1', now(), gen_random_uuid(), false, '{"vin":"V1"}', '{"make":"Toyota"}')
                    RETURNING change_seq
                    """, logger: testLogger())
                for try await _ in inserted {}
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await write(writer, collection, "V2", make: "Honda", at: 2) }
                    // Until the second write has committed, or is seen waiting for the first.
                    try await eventually("the second write commits or waits") {
                        let seen = try await reader.client.query("""
                            SELECT (SELECT count(*) FROM projection_documents WHERE subject = 'V2')
                                + (SELECT count(*) FROM pg_stat_activity
                                   WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO projection_documents%')
                            """).decode(Int.self)
                        for try await count in seen { return count > 0 }
                        return false
                    }
                    let during = try await reader.search(SearchQuery(), in: collection)
                    #expect(makes(during) == ["Kia": 1], "neither write is committed yet")
                    try await connection.query("COMMIT", logger: testLogger())
                    try await group.waitForAll()
                }
            }
            let after = try await reader.search(SearchQuery(), in: collection)
            #expect(makes(after) == ["Kia": 1, "Toyota": 1, "Honda": 1])
        }
    }
}
