import Foundation
import HubTestSupport
import PostgresNIO
import Testing

@testable import Hub

/// The database going away must cost availability, never data.
@Suite struct OutageTests {
    /// Refuses (or allows again) new connections to `database` and ends the open ones.
    func setConnections(allowed: Bool, to database: TestDatabase) async throws {
        let admin = TestDatabase(schema: "public", serverURL: try TestDatabase.serverURL())
        let name = database.databaseName
        try await admin.withClient(searchPath: false) { client in
            try await client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) ALLOW_CONNECTIONS \(allowed)"))
            if !allowed {
                try await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name)")
            }
        }
    }

    @Test func whileTheDatabaseIsDownRequestsGet503AndNothingIsHalfWritten() async throws {
        let database = try await TestDatabase.createSeparateDatabase()
        try await withHub(database: database, { database in
            testConfig(
                database: database, destinations: ["crm": "{ kind: http, url: \"http://127.0.0.1:1/hook\" }"],
                routes: "  - { match: { type: \"*\" }, to: [crm] }",
                sources: "  pinger: { kind: webhook, verify: { scheme: none }, dedup: { pointer: /id } }", commitTimeout: "1s"
            )
        }) { hub in
            let body = #"{"type":"order.created","data":{}}"#
            #expect(try await hub.post("/v1/messages", body).status == 202)
            try await setConnections(allowed: false, to: database)
            let refused = try await hub.post("/v1/messages", body)
            #expect(refused.status == 503)
            #expect(refused.error["code"] as? String == "unavailable")
            #expect(refused.headers.first(name: "Retry-After") != nil)
            let webhook = try await hub.post("/v1/webhooks/pinger", #"{"id": "evt-1"}"#, token: nil)
            #expect(webhook.status == 503, "a vendor told to retry later, its event not half-stored: \(webhook.body)")
            let metrics = try await hub.get("/metrics", token: nil).body
            #expect(metrics.contains(#"hub_webhooks_total{source="pinger",outcome="unavailable"} 1"#), "the 503 is counted")
            #expect(try await hub.get("/ready", token: nil).status == 503)
            try await setConnections(allowed: true, to: database)
            try await eventually("the hub accepts again") { try await hub.post("/v1/messages", body).status == 202 }
            let accepted = try await hub.database.scalar("SELECT count(*) FROM messages")
            let deliveries = try await hub.database.scalar("SELECT count(*) FROM deliveries")
            #expect(deliveries == accepted)  // every stored message has its outbox row, and no row lacks its message
            #expect(try await hub.database.scalar("SELECT count(*) FROM inbound_keys") == 0)
            #expect(try await hub.post("/v1/webhooks/pinger", #"{"id": "evt-1"}"#, token: nil).status == 202)
            #expect(try await hub.get("/ready", token: nil).status == 200)
        }
    }
}
