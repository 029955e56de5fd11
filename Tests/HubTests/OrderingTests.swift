import Foundation
import HubTestSupport
import Synchronization
import Testing

@testable import Hub

/// `ordering: per-subject` through the real edge, relay and Postgres, and what
/// `GET /v1/destinations` reports about it.
@Suite struct OrderingTests {
    /// The subject and `data.n` of a CloudEvent the sink received.
    static func event(_ received: TestSink.Received) -> (subject: String, n: Int) {
        let object = (try? JSONSerialization.jsonObject(with: Data(received.body.utf8))) as? [String: Any] ?? [:]
        return (object["subject"] as? String ?? "", (object["data"] as? [String: Any])?["n"] as? Int ?? -1)
    }

    func withOrderedHub(
        retry: String, _ script: @escaping TestSink.Script, _ body: @Sendable (HubUnderTest, TestSink) async throws -> Void
    ) async throws {
        try await withSinkAndHub(destination: "feed", settings: "ordering: per-subject, retry: \(retry)", script, body)
    }

    func post(_ hub: HubUnderTest, _ subject: String, _ n: Int) async throws {
        let answer = try await hub.post("/v1/messages", #"{"type": "stock.changed", "subject": "\#(subject)", "data": {"n": \#(n)}}"#)
        #expect(answer.status == 202)
    }

    @Test func aSubjectsMessagesArriveInOrderWhileOtherSubjectsFlow() async throws {
        // A1 fails at least twice, and until both of B's messages have arrived.
        let tally = Mutex((a1Failures: 0, bDelivered: 0))
        try await withOrderedHub(retry: "{ max_attempts: 50, initial: 50ms, max: 50ms }", { received, _ in
            let event = Self.event(received)
            return tally.withLock { tally in
                if event.subject == "B" {
                    tally.bDelivered += 1
                    return .init()
                }
                guard event == ("A", 1), tally.a1Failures < 2 || tally.bDelivered < 2 else { return .init() }
                tally.a1Failures += 1
                return .init(status: 503)
            }
        }) { hub, sink in
            for n in 1...3 { try await post(hub, "A", n) }
            for n in 1...2 { try await post(hub, "B", n) }
            try await eventually("all five delivered") {
                try await hub.database.scalar("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 5
            }
            let events = sink.received.map(Self.event)
            let a = events.filter { $0.subject == "A" }.map(\.n)
            #expect(a.count >= 5 && a.suffix(2) == [2, 3] && a.dropLast(2).allSatisfy { $0 == 1 }, "A2 waits for A1, A3 for A2: \(a)")
            let lastB = try #require(events.lastIndex { $0.subject == "B" })
            let firstA1Success = try #require(events.indices.filter { events[$0] == ("A", 1) }.last)
            #expect(lastB < firstA1Success, "B flows while A's head is retried")
        }
    }

    @Test func aDeadHeadBlocksItsSubjectAndIsListed() async throws {
        try await withOrderedHub(retry: "{ max_attempts: 1 }", { received, _ in
            Self.event(received) == ("A", 1) ? .init(status: 400) : .init()
        }) { hub, sink in
            for n in 1...2 { try await post(hub, "A", n) }
            try await post(hub, "B", 1)
            try await eventually("A1 dead, B1 delivered") {
                try await hub.database.scalar("SELECT count(*) FROM deliveries WHERE status IN ('dead', 'delivered')") == 2
            }
            try await Task.sleep(for: .milliseconds(300))  // several poll ticks: A2 must still wait
            #expect(!sink.received.map(Self.event).contains { $0 == ("A", 2) })
            let answer = try await hub.get("/v1/destinations")
            #expect(answer.status == 200, "\(answer.body)")
            let feed = try #require((answer.json["destinations"] as? [[String: Any]])?.first)
            #expect(feed["name"] as? String == "feed" && feed["kind"] as? String == "http")
            #expect(feed["blocked_subjects"] as? [String] == ["A"])
            #expect((feed["policy"] as? [String: Any])?["ordering"] as? String == "per-subject")
            #expect((feed["backlog"] as? [String: Any])?["pending"] as? Int == 1)
        }
    }

    @Test func destinationsShowTheirBreakerState() async throws {
        let sink = TestSink { _, _ in .init(status: 503) }
        try await sink.serve { sinkURL in
            try await withHub({ database in
                testConfig(
                    database: database,
                    destinations: [
                        "fragile": "{ kind: http, url: \"\(sinkURL)/x\", circuit_breaker: { failures: 2, cool_down: 1m }, rate: 100/s, retry: { initial: 10ms, max: 10ms } }"
                    ],
                    routes: "  - { match: { type: \"*\" }, to: [fragile] }"
                )
            }) { hub in
                @Sendable func fragile() async throws -> [String: Any] {
                    try #require((try await hub.get("/v1/destinations").json["destinations"] as? [[String: Any]])?.first)
                }
                #expect(try await fragile()["circuit"] as? String == "closed")
                try await post(hub, "C", 1)
                try await eventually("the circuit opens") { try await fragile()["circuit"] as? String == "open" }
                let policy = try #require(try await fragile()["policy"] as? [String: Any])
                #expect(policy["rate_per_second"] as? Double == 100 && policy["circuit_breaker_failures"] as? Int == 2)
                let atOpening = sink.received.count
                try await Task.sleep(for: .milliseconds(300))
                #expect(atOpening >= 2 && sink.received.count == atOpening, "an open circuit sends nothing")
                #expect(try await hub.get("/v1/destinations", token: nil).status == 401)
            }
        }
    }
}
