import Foundation
import HubTestSupport
import Testing

@testable import Hub

/// What a client sees from `/v1` when it gets things right and wrong.
@Suite struct EdgeTests {
    func withPlainHub(_ body: @Sendable (HubUnderTest) async throws -> Void) async throws {
        try await withHub({ database in
            testConfig(
                database: database, destinations: ["crm": "{ kind: http, url: \"http://127.0.0.1:1/hook\" }"],
                routes: "  - { match: { type: \"order.*\" }, to: [crm] }"
            )
        }, body)
    }

    @Test func badBodiesAreNamedFieldByField() async throws {
        try await withPlainHub { hub in
            let cases: [(body: String, code: String, field: String?)] = [
                ("{not json", "malformed_body", nil),
                ("[1,2]", "malformed_body", nil),
                (#"{"data":{}}"#, "invalid_field", "type"),
                (#"{"type":"order.created"}"#, "invalid_field", "data"),
                (#"{"type":42,"data":{}}"#, "invalid_field", "type"),
                (#"{"type":"has space","data":{}}"#, "invalid_field", "type"),
                (#"{"type":"order.created","time":"yesterday","data":{}}"#, "invalid_field", "time"),
                (#"{"type":"order.created","subject":"","data":{}}"#, "invalid_field", "subject"),
                (#"{"type":"order.created","dat":{}}"#, "invalid_field", "dat"),
                // Postgres text cannot hold NUL: refused with a 400, not a failed ingest batch.
                (#"{"type":"order.created","subject":"a\u0000b","data":{}}"#, "invalid_field", "subject"),
            ]
            for (body, code, field) in cases {
                let answer = try await hub.post("/v1/messages", body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.error["code"] as? String == code, "\(body)")
                #expect(answer.error["field"] as? String == field, "\(body)")
                #expect((answer.error["message"] as? String)?.isEmpty == false)
            }
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 0)
        }
    }

    @Test func tokensAndRolesAreEnforced() async throws {
        try await withPlainHub { hub in
            let body = #"{"type":"order.created","data":{}}"#
            let missing = try await hub.post("/v1/messages", body, token: nil)
            #expect(missing.status == 401)
            #expect(missing.headers.first(name: "WWW-Authenticate") == "Bearer")
            #expect(try await hub.post("/v1/messages", body, token: "not-a-known-token-at-all").status == 401)
            let forbidden = try await hub.post("/v1/messages", body, token: TestTokens.reader)
            #expect(forbidden.status == 403)
            #expect((forbidden.error["message"] as? String)?.contains("ingest") == true)
            let accepted = try await hub.post("/v1/messages", body)
            let id = try #require(accepted.json["id"] as? String)
            #expect(try await hub.get("/v1/messages/\(id)", token: TestTokens.reader).status == 200)
            #expect(try await hub.get("/v1/messages/\(id)", token: nil).status == 401)
        }
    }

    @Test func unknownAndInvalidIdsAreDistinguished() async throws {
        try await withPlainHub { hub in
            let unknown = try await hub.get("/v1/messages/01a23347-1a6d-7721-a57f-61c92c5a0c0a")
            #expect(unknown.status == 404 && unknown.error["code"] as? String == "not_found")
            let invalid = try await hub.get("/v1/messages/nope")
            #expect(invalid.status == 400 && invalid.error["field"] as? String == "id")
            #expect(try await hub.get("/v1/nothing-here").status == 404)
        }
    }

    @Test func anOversizedBodyIs413AndStoresNothing() async throws {
        try await withPlainHub { hub in
            let padding = String(repeating: "x", count: 70 * 1024)
            let answer = try await hub.post("/v1/messages", #"{"type":"order.created","data":{"p":"\#(padding)"}}"#)
            #expect(answer.status == 413)
            #expect((answer.error["message"] as? String)?.contains("max_body") == true)
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 0)
        }
    }

    @Test func anUnroutedMessageIsStoredWithNoDeliveries() async throws {
        try await withPlainHub { hub in
            let answer = try await hub.post("/v1/messages", #"{"type":"inventory.changed","data":{"vin":"X"}}"#)
            #expect(answer.status == 202)
            #expect((answer.json["deliveries"] as? [Any])?.isEmpty == true)
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 1)
        }
    }

    @Test func theSameIdempotencyKeyAnswersTheOriginal() async throws {
        try await withPlainHub { hub in
            let body = #"{"type":"order.created","data":{"n":1}}"#
            let first = try await hub.post("/v1/messages", body, headers: [("Idempotency-Key", "order-77")])
            let again = try await hub.post("/v1/messages", body, headers: [("Idempotency-Key", "order-77")])
            #expect(first.status == 202)
            #expect(again.status == 200)
            #expect(again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(again.json["id"] as? String == first.json["id"] as? String)
            #expect((again.json["deliveries"] as? [[String: Any]])?.first?["destination"] as? String == "crm")
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 1)
            #expect(try await hub.database.scalar("SELECT count(*) FROM deliveries") == 1)
        }
    }

    @Test func theCorrelationIdIsTakenFromTheRequestAndKept() async throws {
        try await withPlainHub { hub in
            let byHeader = try await hub.post(
                "/v1/messages", #"{"type":"order.created","data":{}}"#, headers: [("X-Request-Id", "req-123")]
            )
            #expect(byHeader.headers.first(name: "X-Request-Id") == "req-123")
            let traced = try await hub.post(
                "/v1/messages", #"{"type":"order.created","data":{}}"#,
                headers: [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
            )
            let id = try #require(traced.json["id"] as? String)
            let stored = try await hub.get("/v1/messages/\(id)")
            #expect(stored.json["correlation_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        }
    }

    @Test func aRealShapedOrderIsStoredExactlyAsSent() async throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../fixtures/messages/order-created.json")
        let body = try String(contentsOf: fixture, encoding: .utf8)
        try await withPlainHub { hub in
            let answer = try await hub.post("/v1/messages", body)
            #expect(answer.status == 202)
            let id = try #require(answer.json["id"] as? String)
            let stored = try await hub.get("/v1/messages/\(id)")
            #expect(stored.json["source"] as? String == "dealer-portal")
            #expect(stored.json["subject"] as? String == "ORD-2026-00042")
            #expect(stored.json["time"] as? String == "2026-11-30T09:15:00.000Z")
            // Integers beyond 2^53 survive: the stored data is the canonical text, not doubles.
            #expect(stored.body.contains(#""customer":{"id":998877665544332211}"#))
            let sent = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let data = try #require(stored.json["data"] as? [String: Any])
            #expect(NSDictionary(dictionary: data).isEqual(to: sent["data"] as? [String: Any] ?? [:]))
        }
    }

    @Test func healthReadinessAndMetricsAnswer() async throws {
        try await withPlainHub { hub in
            #expect(try await hub.get("/health", token: nil).status == 200)
            // A destination with nothing queued yet still has its series. (Its value is not asserted:
            // the metrics registry is the test process's, shared with other hubs' "crm".)
            #expect(try await hub.get("/metrics", token: nil).body.contains(#"hub_backlog{destination="crm"} "#))
            let ready = try await hub.get("/ready", token: nil)
            #expect(ready.status == 200 && ready.json["status"] as? String == "ready")
            _ = try await hub.post("/v1/messages", #"{"type":"order.created","data":{}}"#)
            let metrics = try await hub.get("/metrics", token: nil)
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("hub_messages_accepted_total"))
            #expect(metrics.body.contains(#"hub_backlog{destination="crm"}"#))
            #expect(metrics.body.contains(#"hub_oldest_pending_seconds{destination="crm"}"#))
            // The registry is the process's: other tests' hubs count here too, so at least this one.
            let series = #"hub_http_request_duration_seconds_count{route="/v1/messages",method="POST",status="202"} "#
            let count = metrics.body.split(separator: "\n").first { $0.hasPrefix(series) }.flatMap { Double($0.dropFirst(series.count)) }
            #expect((count ?? 0) >= 1, "\(series) missing")
        }
    }

    /// The 202 body is assembled directly; it must be what JSONEncoder (sorted keys) writes.
    @Test func acceptedBodiesMatchTheirEncodableForm() throws {
        let views = [
            AcceptedView(id: UUID(), deliveries: []),
            AcceptedView(id: UUID(), deliveries: [
                (id: UUID(), destination: "crm", status: .pending), (id: UUID(), destination: "odd \"name\"", status: .delivering),
            ]),
        ]
        for view in views {
            #expect(view.json == String(decoding: try JSONBody.encoder.encode(view), as: UTF8.self))
        }
    }
}
