import Foundation
import HubTestSupport
import Testing

@testable import Hub

/// What a CloudEvents client sees from `/v2`: the three content modes, batch atomicity, the
/// event view with delivery state, cursor pages and problem details.
@Suite struct V2EventsTests {
    static let structured = "application/cloudevents+json"
    static let batch = "application/cloudevents-batch+json"

    func withV2Hub(_ body: @Sendable (HubUnderTest) async throws -> Void) async throws {
        try await withHub({ database in
            testConfig(
                database: database, destinations: ["crm": "{ kind: http, url: \"http://127.0.0.1:1/hook\" }"],
                routes: "  - { match: { type: \"order.*\" }, to: [crm] }", maxBody: "4KiB"
            )
        }, body)
    }

    static func event(id: String, type: String = "order.created", source: String = "/shop", extra: String = "") -> String {
        #"{"specversion":"1.0","id":"\#(id)","source":"\#(source)","type":"\#(type)"\#(extra)}"#
    }

    @Test func aStructuredEventIsStoredAndShownAsACloudEventWithItsDeliveries() async throws {
        try await withV2Hub { hub in
            let body = Self.event(
                id: "e-1", extra: #","subject":"A-1","time":"2026-01-31T12:00:00Z","data":{"total":12.5},"tenant":"north","priority":3"#
            )
            let accepted = try await hub.post("/v2/events", body, headers: [("X-Request-Id", "req-v2-1")], contentType: Self.structured)
            #expect(accepted.status == 202)
            let id = try #require(accepted.json["id"] as? String)
            #expect((accepted.json["deliveries"] as? [[String: Any]])?.first?["destination"] as? String == "crm")

            let shown = try await hub.get("/v2/events/\(id)")
            #expect(shown.status == 200)
            #expect(shown.headers.first(name: "Content-Type") == Self.structured)
            let event = shown.json
            #expect(event["specversion"] as? String == "1.0")
            #expect(event["id"] as? String == id)
            #expect(event["source"] as? String == "/shop")
            #expect(event["type"] as? String == "order.created")
            #expect(event["subject"] as? String == "A-1")
            #expect(event["time"] as? String == "2026-01-31T12:00:00.000Z")
            #expect((event["data"] as? [String: Any])?["total"] as? Double == 12.5)
            #expect(event["tenant"] as? String == "north")
            #expect(event["priority"] as? Int == 3)
            #expect(event["idempotencykey"] as? String == "e-1")
            #expect(event["correlationid"] as? String == "req-v2-1")
            let deliveries = try #require(event["deliveries"] as? [[String: Any]])
            #expect(deliveries.map { $0["destination"] as? String } == ["crm"])
            #expect(["pending", "delivering", "dead"].contains(deliveries.first?["status"] as? String ?? ""))

            // The same data through /v1, in /v1's shape.
            let v1 = try await hub.get("/v1/messages/\(id)")
            #expect(v1.status == 200)
            #expect(v1.json["source"] as? String == "/shop" && v1.json["idempotency_key"] as? String == "e-1")
            #expect(v1.json["tenant"] == nil)
        }
    }

    @Test func aBinaryModeEventCarriesItsAttributesInHeaders() async throws {
        try await withV2Hub { hub in
            let accepted = try await hub.post(
                "/v2/events", #"{"vin":"1HGCM82633A004352"}"#,
                headers: [
                    ("ce-specversion", "1.0"), ("ce-id", "b-1"), ("ce-source", "/dms"), ("ce-type", "order.updated"),
                    ("ce-subject", "A-2"), ("ce-tenant", "s%C3%BCd"),
                ]
            )
            #expect(accepted.status == 202)
            let id = try #require(accepted.json["id"] as? String)
            let event = try await hub.get("/v2/events/\(id)").json
            #expect(event["source"] as? String == "/dms" && event["subject"] as? String == "A-2")
            #expect(event["tenant"] as? String == "süd")
            #expect((event["data"] as? [String: Any])?["vin"] as? String == "1HGCM82633A004352")

            // Non-JSON content is kept as bytes and shown as data_base64.
            let text = try await hub.post(
                "/v2/events", "plain words",
                headers: [("ce-specversion", "1.0"), ("ce-id", "b-2"), ("ce-source", "/dms"), ("ce-type", "note.added")],
                contentType: "text/plain"
            )
            let textId = try #require(text.json["id"] as? String)
            let shown = try await hub.get("/v2/events/\(textId)").json
            #expect(shown["datacontenttype"] as? String == "text/plain")
            #expect(shown["data_base64"] as? String == Data("plain words".utf8).base64EncodedString())
            #expect(shown["data"] == nil)
        }
    }

    @Test func sourceAndIdDeduplicate() async throws {
        try await withV2Hub { hub in
            let first = try await hub.post("/v2/events", Self.event(id: "d-1"), contentType: Self.structured)
            let again = try await hub.post(
                "/v2/events", Self.event(id: "d-1", extra: #","data":{"changed":true}"#), contentType: Self.structured
            )
            #expect(first.status == 202 && again.status == 200)
            #expect(again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(again.json["id"] as? String == first.json["id"] as? String)
            let otherSource = try await hub.post("/v2/events", Self.event(id: "d-1", source: "/other"), contentType: Self.structured)
            #expect(otherSource.status == 202)
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 2)
        }
    }

    @Test func aBatchCommitsAllOrNothing() async throws {
        try await withV2Hub { hub in
            let good = "[\(Self.event(id: "x-1")),\(Self.event(id: "x-2")),\(Self.event(id: "x-1"))]"
            let accepted = try await hub.post("/v2/events", good, contentType: Self.batch)
            #expect(accepted.status == 202)
            let events = try #require(accepted.json["events"] as? [[String: Any]])
            #expect(events.map { $0["replayed"] as? Bool } == [false, false, true])
            #expect(events[2]["id"] as? String == events[0]["id"] as? String)
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 2)

            // One bad element refuses the whole batch, naming the element and attribute.
            let bad = "[\(Self.event(id: "y-1")),\(Self.event(id: "y-2", type: "has space"))]"
            let refused = try await hub.post("/v2/events", bad, contentType: Self.batch)
            #expect(refused.status == 400)
            #expect(refused.json["field"] as? String == "[1].type")
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 2)
        }
    }

    @Test func aBatchThatFailsInTheDatabaseStoresNone() async throws {
        try await withV2Hub { hub in
            // A trigger makes the database refuse the batch's last event, after the others were
            // inserted in the same statement: none of them may survive.
            try await hub.database.withClient { client in
                try await client.query(
                    """
                    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF NEW.type = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$
                    """
                )
                try await client.query(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
                )
            }
            let poisoned = "[\(Self.event(id: "p-1")),\(Self.event(id: "p-2")),\(Self.event(id: "p-3", type: "poison"))]"
            let refused = try await hub.post("/v2/events", poisoned, contentType: Self.batch)
            #expect(refused.status >= 500)
            #expect(refused.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 0)
            #expect(try await hub.database.scalar("SELECT count(*) FROM inbound_keys") == 0)
            #expect(try await hub.database.scalar("SELECT count(*) FROM deliveries") == 0)
        }
    }

    @Test func errorsAreProblemDetailsNamingTheField() async throws {
        try await withV2Hub { hub in
            let cases: [(body: String, contentType: String, status: Int, field: String?)] = [
                (#"{"id":"1","source":"/s","type":"t"}"#, Self.structured, 400, "specversion"),
                (#"{"specversion":"0.3","id":"1","source":"/s","type":"t"}"#, Self.structured, 400, "specversion"),
                (#"{"specversion":"1.0","source":"/s","type":"t"}"#, Self.structured, 400, "id"),
                (Self.event(id: "1", extra: #","time":"yesterday""#), Self.structured, 400, "time"),
                (Self.event(id: "1", extra: #","BadName":"x""#), Self.structured, 400, "BadName"),
                (Self.event(id: "1", extra: #","deliveries":"x""#), Self.structured, 400, "deliveries"),
                (Self.event(id: "1", extra: #","data":1,"data_base64":"AA==""#), Self.structured, 400, "data_base64"),
                ("{not json", Self.structured, 400, nil),
                (#"{"type":"t"}"#, "application/json", 415, "Content-Type"),
                ("[]", Self.batch, 400, nil),
                (Self.event(id: "1", extra: #","subject":"a\u0000b""#), Self.structured, 400, "subject"),
            ]
            for (body, contentType, status, field) in cases {
                let answer = try await hub.post("/v2/events", body, contentType: contentType)
                #expect(answer.status == status, "\(body)")
                #expect(answer.headers.first(name: "Content-Type") == "application/problem+json", "\(body)")
                #expect(answer.json["status"] as? Int == status, "\(body)")
                #expect(answer.json["field"] as? String == field, "\(body)")
                #expect((answer.json["type"] as? String)?.hasPrefix("urn:hub:problem:") == true)
                #expect((answer.json["detail"] as? String)?.isEmpty == false)
            }
            let missingBinary = try await hub.post("/v2/events", "{}", headers: [("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-source", "/s")])
            #expect(missingBinary.status == 400 && missingBinary.json["field"] as? String == "ce-type")

            let unauthorized = try await hub.post("/v2/events", Self.event(id: "1"), token: nil, contentType: Self.structured)
            #expect(unauthorized.status == 401 && unauthorized.json["code"] as? String == "unauthorized")
            #expect(unauthorized.headers.first(name: "Content-Type") == "application/problem+json")
            let forbidden = try await hub.post("/v2/events", Self.event(id: "1"), token: TestTokens.reader, contentType: Self.structured)
            #expect(forbidden.status == 403 && forbidden.json["code"] as? String == "forbidden")
            let missing = try await hub.get("/v2/events/01a23347-1a6d-7721-a57f-61c92c5a0c0a")
            #expect(missing.status == 404 && missing.headers.first(name: "Content-Type") == "application/problem+json")
            let tooLarge = try await hub.post(
                "/v2/events", Self.event(id: "1", extra: #","data":"\#(String(repeating: "x", count: 5000))""#),
                contentType: Self.structured
            )
            #expect(tooLarge.status == 413 && tooLarge.json["status"] as? Int == 413)
            #expect(try await hub.get("/v2/events?cursor=not-a-cursor!").json["field"] as? String == "cursor")
            #expect(try await hub.get("/v2/events?limit=0").json["field"] as? String == "limit")
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 0)
        }
    }

    @Test func cursorPagesVisitEveryEventOnceWhileEventsArrive() async throws {
        try await withV2Hub { hub in
            var posted: [String] = []
            for index in 0..<7 {
                let answer = try await hub.post("/v2/events", Self.event(id: "c-\(index)"), contentType: Self.structured)
                posted.append(try #require(answer.json["id"] as? String))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await hub.get("/v2/events?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")).json
                seen += (page["events"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
                if pages == 0 {
                    // Events arriving mid-walk come after everything already handed out.
                    for index in 7..<10 {
                        let answer = try await hub.post("/v2/events", Self.event(id: "c-\(index)"), contentType: Self.structured)
                        posted.append(try #require(answer.json["id"] as? String))
                    }
                }
                pages += 1
                if page["has_more"] as? Bool != true { break }
            } while pages < 20
            #expect(seen == posted)
            // At the end the cursor stays: polling with it shows only what arrived since.
            let tail = try #require(cursor)
            #expect((try await hub.get("/v2/events?cursor=\(tail)").json["events"] as? [Any])?.isEmpty == true)
            let late = try await hub.post("/v2/events", Self.event(id: "c-late"), contentType: Self.structured)
            let after = try await hub.get("/v2/events?cursor=\(tail)").json["events"] as? [[String: Any]]
            #expect(after?.compactMap { $0["id"] as? String } == [late.json["id"] as? String].compactMap { $0 })
        }
    }

    @Test func aDestinationReceivesTheEventWithItsExtensions() async throws {
        try await withSinkAndHub { hub, sink in
            let body = Self.event(id: "s-1", extra: #","tenant":"north","data":{"n":1}"#)
            let accepted = try await hub.post(
                "/v2/events", body, headers: [("X-Request-Id", "req-s-1")], contentType: Self.structured
            )
            #expect(accepted.status == 202)
            try await eventually("delivered") { !sink.received.isEmpty }
            let delivered = try #require(
                try JSONSerialization.jsonObject(with: Data(sink.received[0].body.utf8)) as? [String: Any]
            )
            #expect(delivered["id"] as? String == accepted.json["id"] as? String)
            #expect(delivered["source"] as? String == "/shop" && delivered["tenant"] as? String == "north")
            #expect((delivered["data"] as? [String: Any])?["n"] as? Int == 1)
            #expect(sink.received[0].headers["x-request-id"] == "req-s-1")
        }
    }

    @Test func v1MessagesAreEventsToo() async throws {
        try await withV2Hub { hub in
            let v1 = try await hub.post("/v1/messages", #"{"type":"order.created","subject":"S","data":[1,2]}"#)
            let id = try #require(v1.json["id"] as? String)
            let event = try await hub.get("/v2/events/\(id)").json
            #expect(event["source"] as? String == "writer" && event["subject"] as? String == "S")
            #expect(event["data"] as? [Int] == [1, 2])
        }
    }
}
