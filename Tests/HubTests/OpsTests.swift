import Foundation
import HubTestSupport
import Outbox
import PostgresNIO
import Synchronization
import Testing

@testable import Hub

/// A sink verdict the test flips: failing until told otherwise.
final class Verdict: Sendable {
    private let failing: Mutex<Bool>
    init(failing: Bool) { self.failing = Mutex(failing) }
    var isFailing: Bool { failing.withLock { $0 } }
    func set(failing value: Bool) { failing.withLock { $0 = value } }
    var script: TestSink.Script { { _, _ in TestSink.Reply(status: self.isFailing ? 500 : 200) } }
}

/// A hub with the destinations in `names`, each a sink answering by `verdict`; messages of every
/// type go to the first one. Dead after one failed try, so tests reach dead rows quickly.
func withOpsHub(
    _ names: [String] = ["crm"], verdict: Verdict, ops: String = "", extra: String = "",
    _ body: @Sendable (HubUnderTest, TestSink) async throws -> Void
) async throws {
    let sink = TestSink(script: verdict.script)
    try await sink.serve { sinkURL in
        try await withHub({ database in
            var destinations: [String: String] = [:]
            for name in names {
                destinations[name] = "{ kind: http, url: \"\(sinkURL)/\(name)\", retry: { max_attempts: 1 } }"
            }
            return testConfig(
                database: database, destinations: destinations,
                routes: "  - { match: { type: \"*\" }, to: [\(names[0])] }"
            ) + (ops.isEmpty ? "" : "ops: \(ops)\n") + extra
        }) { hub in try await body(hub, sink) }
    }
}

extension HubUnderTest {
    func postMessage(type: String = "order.created", subject: String = "A-1") async throws -> String {
        let answer = try await post("/v1/messages", #"{"type":"\#(type)","subject":"\#(subject)","data":{"n":1}}"#)
        guard answer.status == 202, let id = answer.json["id"] as? String else {
            throw TestEnvironmentError(description: "message not accepted: \(answer.status) \(answer.body)")
        }
        return id
    }

    func ops(_ path: String, _ body: String, token: String = TestTokens.operator) async throws -> Answer {
        try await post("/v1/ops/\(path)", body, token: token)
    }

    func opsList(_ query: String) async throws -> [[String: Any]] {
        try await get("/v1/ops/deliveries?\(query)").json["deliveries"] as? [[String: Any]] ?? []
    }

    /// Waits for a bulk action to finish and returns its final state.
    func finished(_ answer: Answer) async throws -> [String: Any] {
        let action = try #require(answer.json["action"] as? [String: Any])
        let id = try #require(action["id"] as? String)
        try await eventually(timeout: .seconds(60), "action \(id) finished") {
            try await get("/v1/ops/actions/\(id)").json["status"] as? String != "running"
        }
        return try await get("/v1/ops/actions/\(id)").json
    }

    func count(_ sql: String) async throws -> Int { try await database.scalar(sql) }

    /// Every row of `table` as JSON text, in a fixed order: equal snapshots mean nothing changed.
    func snapshot(_ table: String, orderBy: String) async throws -> String {
        try await database.withClient { client in
            let rows = try await client.query(PostgresQuery(
                unsafeSQL: "SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n' ORDER BY \(orderBy)), '') FROM \(table) t"
            ))
            for try await text in rows.decode(String.self) { return text }
            return ""
        }
    }
}

@Suite struct OpsTests {
    @Test func aDryRunChangesNothingButIsAudited() async throws {
        let verdict = Verdict(failing: true)
        try await withOpsHub(["crm", "archive"], verdict: verdict) { hub, _ in
            for _ in 0..<3 { _ = try await hub.postMessage() }
            try await eventually("three dead") { try await hub.count("SELECT count(*) FROM deliveries WHERE status = 'dead'") == 3 }
            let tables = [("deliveries", "id"), ("delivery_attempts", "delivery_id, attempt"), ("messages", "id")]
            var before: [String] = []
            for (table, order) in tables { before.append(try await hub.snapshot(table, orderBy: order)) }

            let redrive = try await hub.ops("redrive", #"{"filter":{"destination":"crm"},"dry_run":true}"#)
            #expect(redrive.status == 200)
            let action = try #require(redrive.json["action"] as? [String: Any])
            #expect(action["total"] as? Int == 3 && action["dry_run"] as? Bool == true && action["processed"] as? Int == 0)
            #expect((redrive.json["sample"] as? [[String: Any]])?.count == 3)
            let resend = try await hub.ops("resend", #"{"destination":"archive","dry_run":true}"#)
            #expect(resend.status == 200)
            #expect((resend.json["action"] as? [String: Any])?["total"] as? Int == 0, "nothing delivered yet")

            var after: [String] = []
            for (table, order) in tables { after.append(try await hub.snapshot(table, orderBy: order)) }
            #expect(after == before)
            let audit = try await hub.get("/v1/ops/audit").json["actions"] as? [[String: Any]] ?? []
            #expect(audit.map { $0["action"] as? String } == ["resend", "redrive"])
            #expect(audit.allSatisfy { $0["dry_run"] as? Bool == true && $0["actor"] as? String == "ops" })
            #expect((audit.last?["filter"] as? [String: Any])?["status"] as? String == "dead")
        }
    }

    @Test func redriveOfAThousandDeadDeliveriesKeepsToTheRateCapAndDeliversThemAll() async throws {
        let verdict = Verdict(failing: false)
        try await withOpsHub(verdict: verdict, ops: "{ bulk_rate: 250/s, bulk_batch: 50 }") { hub, sink in
            try await hub.database.withClient { client in
                try await client.query(
                    """
                    WITH m AS (
                        INSERT INTO messages (id, source, type, subject, time, datacontenttype, data, content_hash, received_at)
                        SELECT gen_random_uuid(), 'test', 'order.created', 'S-' || n, now(), 'application/json', '{}', 'x', now()
                        FROM generate_series(1, 1000) n RETURNING id
                    )
                    INSERT INTO deliveries (id, message_id, destination, status, attempts, last_error)
                    SELECT gen_random_uuid(), id, 'crm', 'dead', 1, 'sink says 500' FROM m
                    """
                )
            }
            let clock = ContinuousClock()
            let started = clock.now
            let answer = try await hub.ops("redrive", #"{"filter":{"destination":"crm"}}"#)
            #expect(answer.status == 202)
            #expect((answer.json["action"] as? [String: Any])?["total"] as? Int == 1000)
            let action = try await hub.finished(answer)
            let elapsed = clock.now - started
            #expect(action["status"] as? String == "done")
            #expect(action["processed"] as? Int == 1000 && action["total"] as? Int == 1000)
            // 250 may start at once (the burst); the other 750 need 3 s at 250/s.
            #expect(elapsed >= .milliseconds(2900))
            try await eventually(timeout: .seconds(60), "all 1000 delivered") {
                try await hub.count("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 1000
            }
            #expect(Set(sink.received.map(\.body)).count == 1000)
        }
    }

    @Test func resendCopiesDeliveredMessagesAsLinkedDeliveries() async throws {
        let verdict = Verdict(failing: false)
        try await withOpsHub(["crm", "archive"], verdict: verdict) { hub, sink in
            for index in 0..<3 { _ = try await hub.postMessage(subject: "R-\(index)") }
            try await eventually("three delivered") {
                try await hub.count("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 3
            }
            let originals = Set(try await hub.opsList("destination=crm").compactMap { $0["id"] as? String })
            let answer = try await hub.ops("resend", #"{"filter":{"destination":"crm"},"destination":"archive"}"#)
            #expect(answer.status == 202)
            #expect(try await hub.finished(answer)["processed"] as? Int == 3)
            try await eventually("copies delivered") {
                try await hub.opsList("destination=archive&status=delivered").count == 3
            }
            let copies = try await hub.opsList("destination=archive")
            #expect(Set(copies.compactMap { $0["resent_from"] as? String }) == originals)
            #expect(sink.received.filter { $0.path == "/archive" }.count == 3)
            #expect(try await hub.count("SELECT count(*) FROM messages") == 3, "a resend reuses the message")
        }
    }

    @Test func retryQueuesOneDeadDelivery() async throws {
        let verdict = Verdict(failing: true)
        try await withOpsHub(verdict: verdict) { hub, _ in
            let message = try await hub.postMessage()
            try await eventually("dead") { try await hub.deliveries(of: message).first?["status"] as? String == "dead" }
            let id = try #require(try await hub.deliveries(of: message).first?["id"] as? String)
            verdict.set(failing: false)
            let retried = try await hub.ops("deliveries/\(id)/retry", "")
            #expect(retried.status == 200 && retried.json["status"] as? String == "pending")
            try await eventually("delivered") { try await hub.deliveries(of: message).first?["status"] as? String == "delivered" }
            let listed = try #require(try await hub.opsList("status=delivered").first)
            #expect((listed["attempt_log"] as? [[String: Any]])?.map { $0["outcome"] as? String } == ["dead", "delivered"])

            let again = try await hub.ops("deliveries/\(id)/retry", "")
            #expect(again.status == 409 && again.error["message"] as? String == "delivery is delivered; to send it again, resend it")
            #expect(try await hub.ops("deliveries/\(UUID().uuidString)/retry", "").status == 404)
            let bad = try await hub.ops("deliveries/nope/retry", "")
            #expect(bad.status == 400 && bad.error["field"] as? String == "id")
            let audit = try await hub.get("/v1/ops/audit").json["actions"] as? [[String: Any]] ?? []
            #expect(audit.count == 1 && audit.first?["action"] as? String == "retry")
        }
    }

    @Test func listingFiltersAndPages() async throws {
        let verdict = Verdict(failing: false)
        try await withOpsHub(verdict: verdict) { hub, _ in
            for index in 0..<4 { _ = try await hub.postMessage(type: "order.created", subject: "O-\(index)") }
            _ = try await hub.postMessage(type: "lead.created", subject: "L-1")
            #expect(try await hub.opsList("type=lead.created").map { $0["subject"] as? String } == ["L-1"])
            #expect(try await hub.opsList("subject=O-2").count == 1)
            #expect(try await hub.opsList("source=writer").count == 5)
            #expect(try await hub.opsList("destination=other").isEmpty)
            #expect(try await hub.opsList("until=2000-01-01T00:00:00Z").isEmpty)
            #expect(try await hub.opsList("since=2000-01-01T00:00:00Z").count == 5)

            var seen: [String] = []
            var cursor = ""
            repeat {
                let page = try await hub.get("/v1/ops/deliveries?limit=2\(cursor.isEmpty ? "" : "&cursor=\(cursor)")").json
                seen += (page["deliveries"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String ?? ""
            } while !cursor.isEmpty
            #expect(seen.count == 5 && Set(seen).count == 5)
            #expect(seen == seen.sorted(by: >), "newest first")

            for (query, field) in [
                ("status=lost", "status"), ("colour=red", "colour"), ("limit=0", "limit"), ("cursor=x", "cursor"),
                ("since=yesterday", "since"), ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until"),
            ] {
                let answer = try await hub.get("/v1/ops/deliveries?\(query)")
                #expect(answer.status == 400 && answer.error["field"] as? String == field, "\(query)")
            }
            let badFilter = try await hub.ops("redrive", #"{"filter":{"status":5}}"#)
            #expect(badFilter.status == 400 && badFilter.error["field"] as? String == "filter.status")
            let noTarget = try await hub.ops("resend", #"{"filter":{}}"#)
            #expect(noTarget.status == 400 && noTarget.error["field"] as? String == "destination")
            let unknownTarget = try await hub.ops("resend", #"{"destination":"nowhere"}"#)
            #expect(unknownTarget.status == 400 && unknownTarget.error["field"] as? String == "destination")
        }
    }

    @Test func aReadTokenCannotAct() async throws {
        try await withOpsHub(verdict: Verdict(failing: false)) { hub, _ in
            #expect(try await hub.get("/v1/ops/deliveries", token: TestTokens.reader).status == 200)
            #expect(try await hub.get("/v1/ops/audit", token: TestTokens.reader).status == 200)
            for path in ["redrive", "resend", "deliveries/\(UUID().uuidString)/retry", "destinations/crm/pause"] {
                let answer = try await hub.ops(path, #"{"destination":"crm"}"#, token: TestTokens.reader)
                #expect(answer.status == 403 && answer.error["code"] as? String == "forbidden", "\(path)")
            }
            #expect(try await hub.get("/v1/ops/deliveries", token: nil).status == 401)
            #expect(try await hub.count("SELECT count(*) FROM ops_actions") == 0)
        }
    }

    @Test func aPausedDestinationQueuesUntilResumed() async throws {
        // Its own destination name: the paused gauge is process-global.
        try await withOpsHub(["pausable"], verdict: Verdict(failing: false)) { hub, sink in
            let paused = try await hub.ops("destinations/pausable/pause", "")
            #expect(paused.status == 200 && paused.json["paused"] as? Bool == true && paused.json["changed"] as? Bool == true)
            #expect(try await hub.ops("destinations/pausable/pause", "").json["changed"] as? Bool == false)
            #expect(try await hub.ops("destinations/nowhere/pause", "").status == 404)
            // The relay hears of the pause by NOTIFY, or at the latest on its next poll (100 ms here).
            try await Task.sleep(for: .milliseconds(300))
            for index in 0..<5 { _ = try await hub.postMessage(subject: "P-\(index)") }
            try await Task.sleep(for: .milliseconds(500))  // five poll ticks in which a relay would claim
            #expect(sink.received.isEmpty)
            let destination = try #require((try await hub.get("/v1/destinations").json["destinations"] as? [[String: Any]])?.first)
            #expect(destination["paused"] as? Bool == true)
            #expect((destination["backlog"] as? [String: Any])?["pending"] as? Int == 5)
            #expect(try await hub.get("/metrics", token: nil).body.contains(#"hub_destination_paused{destination="pausable"} 1"#))

            #expect(try await hub.ops("destinations/pausable/resume", "").json["paused"] as? Bool == false)
            try await eventually("backlog delivered") { sink.received.count == 5 }
            #expect(try await hub.get("/metrics", token: nil).body.contains(#"hub_destination_paused{destination="pausable"} 0"#))
            let audit = try await hub.get("/v1/ops/audit").json["actions"] as? [[String: Any]] ?? []
            #expect(audit.map { $0["action"] as? String } == ["resume", "pause"])
        }
    }

    @Test func opsAndRetentionConfigIsReadAndChecked() throws {
        let base = "database: { url: \"postgres://hub@127.0.0.1/hub\" }\n"
        let config = try ConfigLoader.parse(
            base + "ops: { bulk_rate: 600/m, bulk_batch: 20 }\nretention: { delivered: 7d, attempts: 2d, messages: 30d, batch: 500, interval: 1m }\n",
            environment: [:]
        )
        #expect(config.ops == BulkSettings(rate: RateLimit(perSecond: 10), batch: 20))
        #expect(config.retention == RetentionPolicy(
            delivered: .seconds(7 * 86400), attempts: .seconds(2 * 86400), messages: .seconds(30 * 86400), batch: 500,
            interval: .seconds(60)
        ))
        #expect(try ConfigLoader.parse(base, environment: [:]).retention == nil)
        let typo = #expect(throws: ConfigError.self) { try ConfigLoader.parse(base + "retention: { deliverd: 7d }\n", environment: [:]) }
        #expect(typo?.key == "retention.deliverd" && typo?.line == 2)
        let zero = #expect(throws: ConfigError.self) { try ConfigLoader.parse(base + "retention:\n  messages: 0s\n", environment: [:]) }
        #expect(zero?.key == "retention.messages" && zero?.line == 3)
        let rate = #expect(throws: ConfigError.self) { try ConfigLoader.parse(base + "ops: { bulk_rate: fast }\n", environment: [:]) }
        #expect(rate?.key == "ops.bulk_rate")
    }
}
