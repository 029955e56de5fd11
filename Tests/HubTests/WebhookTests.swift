import Foundation
import HubTestSupport
import Testing

@testable import Hub

/// A vendor's webhooks through the real edge into Postgres: mapped, cleaned, deduplicated,
/// kept raw, and routed like any message.
@Suite struct WebhookTests {
    static let carfax = try! WebhookSigning.Fixture.load("carfax")

    static func carfaxSource(extra: String = "") -> String {
        """
          carfax:
            kind: webhook
            verify: { scheme: standard-webhooks, secrets: ["\(carfax.secrets["secret"]!)"], tolerance: 5m }
            map:
              type: "carfax.{/event}"
              subject: /data/vin
              time: /occurred_at
              data: /data
              redact: [/data/owner/email, /data/owner/phone]
              trim: true
        \(extra)
        """
    }

    /// Posts `body` to the carfax source, signed as Carfax signs, with the fixture's headers.
    static func postCarfax(
        _ hub: HubUnderTest, body: String = carfax.body, id: String = "msg_\(UUID().uuidString)",
        timestamp: Int = Int(Date().timeIntervalSince1970)
    ) async throws -> Answer {
        let signed = WebhookSigning.standardWebhooks(
            secret: carfax.secrets["secret"]!, id: id, timestamp: timestamp, body: body
        )
        let headers = carfax.headers.filter { $0.0.lowercased() != "webhook-id" } + signed
        return try await hub.post("/v1/webhooks/carfax", body, token: nil, headers: headers)
    }

    func withCarfaxHub(_ body: @Sendable (HubUnderTest, TestSink) async throws -> Void) async throws {
        let sink = TestSink()
        try await sink.serve { sinkURL in
            try await withHub({ database in
                testConfig(
                    database: database, destinations: ["history": "{ kind: http, url: \"\(sinkURL)/history\" }"],
                    routes: "  - { match: { type: \"carfax.*\" }, to: [history] }", sources: Self.carfaxSource()
                )
            }) { hub in try await body(hub, sink) }
        }
    }

    @Test func aVerifiedWebhookBecomesACleanedCanonicalMessageAndIsDelivered() async throws {
        try await withCarfaxHub { hub, sink in
            let answer = try await Self.postCarfax(hub, id: "msg_carfax_0001")
            #expect(answer.status == 202, "\(answer.body)")
            let id = try #require(answer.json["id"] as? String)
            let message = try await hub.get("/v1/messages/\(id)").json
            #expect(message["source"] as? String == "carfax")
            #expect(message["type"] as? String == "carfax.vehicle.history.updated")
            #expect(message["subject"] as? String == "1HGCM82633A004352")
            #expect(message["time"] as? String == "2025-03-14T09:26:53.000Z")
            #expect(message["idempotency_key"] as? String == "msg_carfax_0001")
            let data = try #require(message["data"] as? [String: Any])
            #expect(data["model"] as? String == "Accord EX")
            let owner = try #require(data["owner"] as? [String: Any])
            #expect(owner["name"] as? String == "Dana Whitfield")
            #expect(owner["email"] == nil && owner["phone"] == nil)

            let inbound = try #require(message["inbound"] as? [String: Any])
            let headers = try #require(inbound["headers"] as? [String: String])
            #expect(headers["user-agent"]?.hasPrefix("Carfax-Webhooks") == true)
            #expect(headers["webhook-id"] == "msg_carfax_0001")
            #expect(inbound["redacted"] as? Bool == true)
            let raw = try #require(inbound["body"] as? String)
            #expect(raw.contains("rpt_7Q2M9XK4") && !raw.contains("Dana.Whitfield@Example.com") && !raw.contains("010-4477"))

            try await eventually("delivered") { try await hub.deliveries(of: id).first?["status"] as? String == "delivered" }
            #expect(sink.received.first?.body.contains("Dana.Whitfield") == false)
        }
    }

    @Test func twentyConcurrentRetriesOfOneWebhookStoreOneMessage() async throws {
        try await withCarfaxHub { hub, _ in
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for _ in 0..<20 { group.addTask { try await Self.postCarfax(hub, id: "msg_carfax_retried") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.status == 202 }.count == 1)
            #expect(answers.filter { $0.status == 200 }.count == 19)
            #expect(Set(answers.compactMap { $0.json["id"] as? String }).count == 1)
            #expect(answers.filter { $0.status == 200 }.allSatisfy { $0.headers.first(name: "Idempotent-Replayed") == "true" })
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 1)
            #expect(try await hub.database.scalar("SELECT count(*) FROM deliveries") == 1)
            #expect(try await hub.database.scalar("SELECT count(*) FROM inbound_requests") == 1)
        }
    }

    @Test func badWebhooksGetTheRightErrorAndStoreNothing() async throws {
        try await withCarfaxHub { hub, _ in
            let unknown = try await hub.post("/v1/webhooks/nobody", "{}", token: nil)
            #expect(unknown.status == 404)

            let notJSON = try await Self.postCarfax(hub, body: "{not json")
            #expect(notJSON.status == 400 && notJSON.error["code"] as? String == "malformed_body")

            let noVIN = Self.carfax.body.replacingOccurrences(of: "\"vin\"", with: "\"vehicle_id\"")
            let unmapped = try await Self.postCarfax(hub, body: noVIN)
            #expect(unmapped.status == 400 && unmapped.error["field"] as? String == "subject", "\(unmapped.body)")
            #expect((unmapped.error["message"] as? String)?.contains("/data/vin") == true)

            let badTime = Self.carfax.body.replacingOccurrences(of: "2025-03-14T09:26:53Z", with: "yesterday")
            let untimed = try await Self.postCarfax(hub, body: badTime)
            #expect(untimed.status == 400 && untimed.error["field"] as? String == "time")

            let huge = #"{"event": "x", "pad": ""# + String(repeating: "a", count: 70_000) + #""}"#
            let tooLarge = try await Self.postCarfax(hub, body: huge)
            #expect(tooLarge.status == 413)

            let stale = try await Self.postCarfax(hub, timestamp: Int(Date().timeIntervalSince1970) - 600)
            #expect(stale.status == 401 && stale.error["code"] as? String == "stale_timestamp")

            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 0)
            #expect(try await hub.database.scalar("SELECT count(*) FROM inbound_keys") == 0)
        }
    }

    @Test func aSourceWithoutRedactionKeepsTheExactBytesAndNoCredentials() async throws {
        let sources = """
              lotlinx:
                kind: webhook
                verify: { scheme: api-key, header: X-LotLinx-Key, secrets: ["lotlinx-key-0123456789"] }
                map: { type: "lotlinx.{/notification}", subject: /vehicle/vin, time: /created_at }
            """
        try await withHub({ database in testConfig(database: database, sources: sources) }) { hub in
            let body = try WebhookSigning.Fixture.load("lotlinx").body
            let answer = try await hub.post(
                "/v1/webhooks/lotlinx", body, token: nil,
                headers: [("X-LotLinx-Key", "lotlinx-key-0123456789"), ("Authorization", "Bearer leaked-token")]
            )
            #expect(answer.status == 202, "\(answer.body)")
            let message = try await hub.get("/v1/messages/\(try #require(answer.json["id"] as? String))").json
            #expect(message["type"] as? String == "lotlinx.inventory.sold")
            #expect(message["time"] as? String == "2024-03-14T13:12:10.000Z")
            let inbound = try #require(message["inbound"] as? [String: Any])
            #expect(inbound["body"] as? String == body)
            #expect(inbound["redacted"] as? Bool == false)
            let headers = try #require(inbound["headers"] as? [String: String])
            #expect(headers["x-lotlinx-key"] == nil && headers["authorization"] == nil)
            #expect(headers["content-type"] == "application/json")
        }
    }
}
