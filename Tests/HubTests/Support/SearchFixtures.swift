import Foundation
import HubTestSupport
import Outbox
import PostgresNIO

@testable import Connectors
@testable import Hub

/// The `vehicles` collection the search and projection tests use, and the fixture set in
/// `fixtures/search/vehicles.json`.
enum SearchFixtures {
    /// A `collections:` entry, indented for the top level of a test config.
    static func collectionYAML(search: String = "") -> String {
        """
        collections:
          vehicles:
            delete_types: [vehicle.deleted]
            text:
              - { pointer: /title, weight: A }
              - { pointer: /model, weight: B }
              - { pointer: /description, weight: C }
            facets:
              make: /make
              model: /model
              year: { pointer: /year, type: number }
              price: { pointer: /price, type: number, buckets: [15000, 25000] }
              dealer: /dealer/id
            public: [/vin, /title, /make, /model, /year, /price, /dealer/id, /dealer/name]
        \(search.isEmpty ? "" : "    search: \(search)\n")
        """
    }

    static func collection() throws -> ProjectionCollection {
        let yaml = "database: { url: \"postgres://hub@127.0.0.1/hub\" }\n" + collectionYAML()
        let config = try ConfigLoader.parse(yaml, environment: [:])
        return config.collections[0].projection
    }

    static func vehicles() throws -> [(subject: String, data: JSONValue)] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../fixtures/search/vehicles.json")
        guard case .array(let entries) = JSONValue(parsing: try Data(contentsOf: url)) else {
            throw TestEnvironmentError(description: "fixtures/search/vehicles.json is not a list")
        }
        return entries.compactMap { entry in
            guard case .object(let members) = entry, case .string(let subject) = members["subject"], let data = members["data"]
            else { return nil }
            return (subject, data)
        }
    }

    /// Projects every fixture vehicle into `database` with the connector's own extraction and statement.
    static func load(into database: TestDatabase) async throws {
        let collection = try collection()
        let vehicles = try vehicles()
        try await database.withClient { client in
            let store = ProjectionStore(client: client, logger: testLogger())
            for vehicle in vehicles {
                let message = CanonicalMessage(source: "test", type: "vehicle.updated", subject: vehicle.subject, data: vehicle.data)
                try await store.write(try collection.record(for: message), language: collection.language)
            }
        }
    }
}

/// A hub serving the vehicles collection over the fixture set.
func withSearchHub(search: String = "", _ body: @Sendable (HubUnderTest) async throws -> Void) async throws {
    try await withHub({ database in
        testConfig(database: database) + SearchFixtures.collectionYAML(search: search)
    }) { hub in
        try await SearchFixtures.load(into: hub.database)
        try await body(hub)
    }
}
