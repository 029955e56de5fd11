import Foundation
import HubTestSupport
import Outbox
import PostgresNIO
import Testing

@testable import Connectors
@testable import Hub

/// The current-state projection: the newest message per subject wins, whatever order and
/// however often messages arrive, and a delete is not undone by an older upsert.
@Suite struct ProjectionTests {
    static let base = Date(timeIntervalSince1970: 1_780_000_000)

    func message(_ subject: String, price: Int, at seconds: Double, type: String = "vehicle.updated", id: UUID = UUIDv7.make())
        -> CanonicalMessage
    {
        CanonicalMessage(
            id: id, source: "test", type: type, subject: subject, time: Self.base.addingTimeInterval(seconds),
            data: .object(["vin": .string(subject), "make": .string("Toyota"), "price": .int(Int64(price))])
        )
    }

    /// Runs `body` with a projection store on a fresh, migrated schema.
    func withStore(_ body: @Sendable (ProjectionStore, ProjectionCollection) async throws -> Void) async throws {
        let database = try await TestDatabase.create()
        let collection = try SearchFixtures.collection()
        try await database.withClient { client in
            try await Migrator(client: client, logger: testLogger()).migrate()
            try await body(ProjectionStore(client: client, logger: testLogger()), collection)
        }
    }

    func price(_ store: ProjectionStore, _ subject: String) async throws -> Int64? {
        guard let document = try await store.stored(collection: "vehicles", subject: subject)?.document,
            case .object(let members) = JSONValue(parsing: document), case .int(let price) = members["price"]
        else { return nil }
        return price
    }

    @Test func anOlderMessageNeverOverwritesANewerOne() async throws {
        try await withStore { store, collection async throws in
            let newer = message("V1", price: 20000, at: 20)
            let older = message("V1", price: 19000, at: 10)
            #expect(try await store.write(try collection.record(for: newer), language: collection.language))
            #expect(try await !store.write(try collection.record(for: older), language: collection.language))
            #expect(try await price(store, "V1") == 20000)
            #expect(try await store.stored(collection: "vehicles", subject: "V1")?.versionId == newer.id)
        }
    }

    @Test func aDuplicateDeliveryChangesNothing() async throws {
        try await withStore { store, collection in
            let record = try collection.record(for: message("V1", price: 20000, at: 20))
            #expect(try await store.write(record, language: collection.language))
            #expect(try await !store.write(record, language: collection.language))
            #expect(try await price(store, "V1") == 20000)
        }
    }

    @Test func theMessageIdBreaksATieInTime() async throws {
        try await withStore { store, collection in
            let lower = UUID(uuidString: "00000000-0000-7000-8000-000000000001")!
            let higher = UUID(uuidString: "00000000-0000-7000-8000-000000000002")!
            try await store.write(try collection.record(for: message("V1", price: 2, at: 5, id: higher)), language: "english")
            try await store.write(try collection.record(for: message("V1", price: 1, at: 5, id: lower)), language: "english")
            #expect(try await price(store, "V1") == 2)
        }
    }

    @Test func aTombstoneIsNotResurrectedByAnOlderUpsert() async throws {
        try await withStore { store, collection in
            try await store.write(try collection.record(for: message("V1", price: 20000, at: 10)), language: "english")
            let delete = message("V1", price: 0, at: 30, type: "vehicle.deleted")
            #expect(try await store.write(try collection.record(for: delete), language: "english"))
            #expect(try await !store.write(try collection.record(for: message("V1", price: 21000, at: 20)), language: "english"))
            let stored = try await store.stored(collection: "vehicles", subject: "V1")
            #expect(stored?.deleted == true && stored?.document == nil && stored?.versionId == delete.id)
            // A later listing of the same vehicle is news, and brings it back.
            try await store.write(try collection.record(for: message("V1", price: 22000, at: 40)), language: "english")
            #expect(try await price(store, "V1") == 22000)
        }
    }

    @Test func aMessageWithoutSubjectOrObjectIsRefused() throws {
        let collection = try SearchFixtures.collection()
        let noSubject = CanonicalMessage(source: "test", type: "vehicle.updated", data: .object([:]))
        #expect(throws: ProjectionInputError.self) { try collection.record(for: noSubject) }
        let notObject = CanonicalMessage(source: "test", type: "vehicle.updated", subject: "V1", data: .array([]))
        #expect(throws: ProjectionInputError.self) { try collection.record(for: notObject) }
    }

    /// Through the whole hub: messages routed to a search destination, posted newest first and
    /// then replayed older, end with the newest document searchable; a delete removes it for good.
    @Test func outOfOrderAndReplayedMessagesThroughTheRelay() async throws {
        try await withHub({ database in
            testConfig(
                database: database, extraDestinationYAML: "  vehicle_index: { kind: search, collection: vehicles }\n",
                routes: "  - { match: { type: \"vehicle.*\" }, to: [vehicle_index] }"
            ) + SearchFixtures.collectionYAML()
        }) { hub in
            func post(_ type: String, price: Int, time: String) async throws -> String {
                let body = """
                    {"type":"\(type)","subject":"V42","time":"\(time)",\
                    "data":{"vin":"V42","title":"2020 Toyota Camry","make":"Toyota","price":\(price)}}
                    """
                let answer = try await hub.post("/v1/messages", body)
                #expect(answer.status == 202)
                return answer.json["id"] as? String ?? ""
            }
            func settled(_ ids: [String]) async throws {
                try await eventually("deliveries delivered") {
                    for id in ids where try await hub.deliveries(of: id).first?["status"] as? String != "delivered" {
                        return false
                    }
                    return true
                }
            }
            func prices() async throws -> [Int] {
                let hits = try await hub.get("/v1/search/vehicles?q=camry", token: nil).json["hits"] as? [[String: Any]] ?? []
                return hits.compactMap { ($0["document"] as? [String: Any])?["price"] as? Int }
            }
            let newest = try await post("vehicle.updated", price: 20000, time: "2026-06-01T12:00:02Z")
            let older = try await post("vehicle.updated", price: 19000, time: "2026-06-01T12:00:01Z")
            try await settled([newest, older])
            #expect(try await prices() == [20000])
            let replay = try await post("vehicle.updated", price: 19000, time: "2026-06-01T12:00:01Z")
            try await settled([replay])
            #expect(try await prices() == [20000])

            let delete = try await post("vehicle.deleted", price: 0, time: "2026-06-01T12:00:05Z")
            let late = try await post("vehicle.updated", price: 18000, time: "2026-06-01T12:00:04Z")
            try await settled([delete, late])
            #expect(try await prices() == [])
        }
    }
}
