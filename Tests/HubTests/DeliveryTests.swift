import Crypto
import Foundation
import HubTestSupport
import Testing

@testable import Hub

/// End to end through the real edge, the real Postgres and a real HTTP destination.
@Suite struct DeliveryTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    func messageId(_ answer: Answer) throws -> String {
        try #require(answer.json["id"] as? String)
    }

    /// Posts a message and waits until its one delivery reaches `status`; returns that delivery.
    func post(to hub: HubUnderTest, until status: String) async throws -> [String: Any] {
        let id = try messageId(try await hub.post("/v1/messages", #"{"type":"order.created","data":{}}"#))
        try await eventually(status) { try await hub.deliveries(of: id).first?["status"] as? String == status }
        return try #require(try await hub.deliveries(of: id).first)
    }

    @Test func anAcceptedMessageArrivesSignedAndVerifiable() async throws {
        let sink = TestSink()
        try await sink.serve { sinkURL in
            try await withHub({ database in
                testConfig(
                    database: database,
                    destinations: ["crm": "{ kind: http, url: \"\(sinkURL)/hook\", secret: \"\(Self.secret)\" }"],
                    routes: "  - { match: { type: \"order.*\" }, to: [crm] }"
                )
            }) { hub in
                let answer = try await hub.post("/v1/messages", #"{"type":"order.created","subject":"A-1","data":{"total":1250,"id":123456789012345678}}"#)
                #expect(answer.status == 202)
                let id = try messageId(answer)
                let deliveries = try #require(answer.json["deliveries"] as? [[String: Any]])
                #expect(deliveries.count == 1 && deliveries[0]["destination"] as? String == "crm")
                try await eventually("delivered") {
                    try await hub.deliveries(of: id).first?["status"] as? String == "delivered"
                }
                let received = try #require(sink.received.first)
                #expect(sink.received.count == 1)
                // Verify as a receiver would, straight from the spec: HMAC-SHA256 over id.timestamp.body.
                let webhookId = try #require(received.headers["webhook-id"])
                let timestamp = try #require(received.headers["webhook-timestamp"])
                let key = SymmetricKey(data: try #require(Data(base64Encoded: String(Self.secret.dropFirst(6)))))
                let mac = HMAC<SHA256>.authenticationCode(for: Data("\(webhookId).\(timestamp).\(received.body)".utf8), using: key)
                #expect(received.headers["webhook-signature"] == "v1," + Data(mac).base64EncodedString())
                #expect(webhookId == deliveries[0]["id"] as? String)
                let event = try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
                #expect(event["id"] as? String == id)
                #expect(event["type"] as? String == "order.created")
                #expect(event["subject"] as? String == "A-1")
                #expect(event["specversion"] as? String == "1.0")
                #expect(received.body.contains(#""data":{"id":123456789012345678,"total":1250}"#))
                let attempts = try #require(try await hub.deliveries(of: id).first?["attempt_log"] as? [[String: Any]])
                #expect(attempts.count == 1 && attempts[0]["http_status"] as? Int == 200)
            }
        }
    }

    @Test func threeFailuresThenSuccessRecordsFourAttempts() async throws {
        try await withSinkAndHub(settings: "retry: { initial: 10ms, max: 40ms }", { _, index in
            index < 3 ? .init(status: 503) : .init(status: 204)
        }) { hub, sink in
            let delivery = try await post(to: hub, until: "delivered")
            #expect(delivery["attempts"] as? Int == 4)
            let log = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(log.compactMap { $0["outcome"] as? String } == ["retry", "retry", "retry", "delivered"])
            #expect(log.compactMap { $0["http_status"] as? Int } == [503, 503, 503, 204])
            #expect(log.first?["response_excerpt"] as? String == "sink says 503")
            #expect(sink.received.count == 4)
            #expect(Set(sink.received.compactMap { $0.headers["webhook-id"] }).count == 1)  // stable across retries
        }
    }

    @Test func alwaysFailingEndsDeadAfterMaxAttempts() async throws {
        try await withSinkAndHub(settings: "retry: { max_attempts: 3, initial: 10ms, max: 20ms }", { _, _ in
            .init(status: 500)
        }) { hub, sink in
            let delivery = try await post(to: hub, until: "dead")
            #expect(delivery["attempts"] as? Int == 3)
            #expect((delivery["last_error"] as? String)?.contains("gave up after 3 attempts") == true)
            #expect(sink.received.count == 3)
        }
    }

    @Test func aClientErrorIsDeadAtOnce() async throws {
        try await withSinkAndHub({ _, _ in .init(status: 410) }) { hub, _ in
            let delivery = try await post(to: hub, until: "dead")
            #expect(delivery["attempts"] as? Int == 1)
            #expect(delivery["last_error"] as? String == "HTTP 410")
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        try await withSinkAndHub(settings: "retry: { initial: 10ms, max: 20ms }", { _, index in
            index == 0 ? .init(status: 429, headers: ["Retry-After": "1"]) : .init()
        }) { hub, sink in
            _ = try await post(to: hub, until: "delivered")
            let times = sink.received.map(\.at)
            #expect(times.count == 2)
            // Without Retry-After the backoff here is at most 10 ms.
            #expect(times[1].timeIntervalSince(times[0]) >= 1.0)
        }
    }

    @Test func aConnectionRefusedIsRetriedNotHung() async throws {
        try await withHub({ database in
            testConfig(
                database: database,
                destinations: ["down": "{ kind: http, url: \"http://127.0.0.1:1/\", retry: { max_attempts: 2, initial: 10ms, max: 10ms } }"],
                routes: "  - { match: { type: \"*\" }, to: [down] }"
            )
        }) { hub in
            let id = try messageId(try await hub.post("/v1/messages", #"{"type":"x","data":{}}"#))
            try await eventually("dead") { try await hub.deliveries(of: id).first?["status"] as? String == "dead" }
            let delivery = try #require(try await hub.deliveries(of: id).first)
            #expect((delivery["last_error"] as? String)?.contains("connection failed") == true)
        }
    }

    @Test func aServingHubStartsNewDeliveriesAtCommit() async throws {
        // The first message proves the relay is up; the second one's first attempt fails so the
        // direct start and the retry that follows are both on record.
        try await withSinkAndHub(settings: "retry: { initial: 10ms, max: 20ms }", { _, index in
            index == 1 ? .init(status: 503) : .init()
        }) { hub, sink in
            _ = try await post(to: hub, until: "delivered")
            let answer = try await hub.post(
                "/v1/messages",
                #"{"type":"order.created","subject":"A-1","data":{"big":123456789012345678,"price":12.5,"name":"Zoë","tags":["a",{"b":null}]}}"#
            )
            #expect(answer.status == 202)
            let queued = try #require((answer.json["deliveries"] as? [[String: Any]])?.first)
            #expect(queued["status"] as? String == "delivering")
            let id = try messageId(answer)
            try await eventually("delivered") { try await hub.deliveries(of: id).first?["status"] as? String == "delivered" }
            let delivery = try #require(try await hub.deliveries(of: id).first)
            let log = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(log.compactMap { $0["outcome"] as? String } == ["retry", "delivered"])
            let attempts = Array(sink.received.dropFirst())
            #expect(attempts.count == 2)
            #expect(attempts.allSatisfy { $0.headers["webhook-id"] == queued["id"] as? String })
            // The first try renders the message as ingested, the retry as read back from Postgres.
            #expect(attempts.first?.body == attempts.last?.body)
            #expect(attempts.first?.body.contains(#""big":123456789012345678"#) == true)
        }
    }

    @Test func aHubWithoutARelayLeavesNewDeliveriesPending() async throws {
        try await withHub(mode: .edgeOnly, { database in
            testConfig(
                database: database, destinations: ["crm": "{ kind: http, url: \"http://127.0.0.1:1/\" }"],
                routes: "  - { match: { type: \"*\" }, to: [crm] }"
            )
        }) { hub in
            let answer = try await hub.post("/v1/messages", #"{"type":"order.created","data":{}}"#)
            #expect(answer.status == 202)
            let queued = try #require((answer.json["deliveries"] as? [[String: Any]])?.first)
            #expect(queued["status"] as? String == "pending")
            #expect(try await hub.deliveries(of: try messageId(answer)).first?["status"] as? String == "pending")
        }
    }
}
