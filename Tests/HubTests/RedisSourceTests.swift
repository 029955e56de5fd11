import Connectors
import Foundation
import HubTestSupport
import Testing

@testable import Hub

/// What `GET /v1/sources` says about one source.
func sourceStatus(_ hub: HubUnderTest, _ name: String) async throws -> [String: Any] {
    let sources = try await hub.get("/v1/sources", token: TestTokens.reader).json["sources"] as? [[String: Any]] ?? []
    return sources.first { $0["name"] as? String == name } ?? [:]
}

func sourceCount(_ status: [String: Any], _ key: String) -> Int {
    (status["counts"] as? [String: Any])?[key] as? Int ?? -1
}

func waitForState(_ hub: HubUnderTest, _ name: String, _ state: String) async throws {
    try await eventually("source \(name) is \(state)") { try await sourceStatus(hub, name)["state"] as? String == state }
}

/// `kind: redis-pubsub` against the loopback redis-server.
@Suite struct RedisPubSubSourceTests {
    @Test func aPublishedMessageBecomesAMessageWithADelivery() async throws {
        let channel = TestRedis.uniqueName("vehicles")
        let url = try TestRedis.sharedURL()
        let sink = TestSink()
        try await sink.serve { sinkURL in
            try await withHub({ database in
                testConfig(
                    database: database, destinations: ["crm": "{ kind: http, url: \"\(sinkURL)/hook\" }"],
                    routes: "  - { match: { type: \"vehicle.*\" }, to: [crm] }",
                    sources: """
                          feed:
                            kind: redis-pubsub
                            url: \(url)
                            channels: [\(channel)]
                            dedup: { pointer: /id }
                            map: { type: "vehicle.{/event}", subject: /vin, data: /data }
                        """
                )
            }) { hub in
                try await waitForState(hub, "feed", "connected")
                let event = #"{"id":"e-1","event":"sold","vin":"1HGCM82633A004352","data":{"price":12500}}"#
                let receivers = try await TestRedis.withConnection { try await $0.command(["PUBLISH", channel, event]) }
                #expect(receivers == .integer(1))
                try await eventually("the sink got the delivery") { sink.received.count == 1 }
                let delivered = try #require(
                    try JSONSerialization.jsonObject(with: Data(sink.received[0].body.utf8)) as? [String: Any]
                )
                #expect(delivered["type"] as? String == "vehicle.sold")
                #expect(delivered["subject"] as? String == "1HGCM82633A004352")
                #expect(delivered["source"] as? String == "feed")
                #expect((delivered["data"] as? [String: Any])?["price"] as? Int == 12500)

                try await TestRedis.withConnection { redis in
                    _ = try await redis.command(["PUBLISH", channel, event])  // the same id again
                    _ = try await redis.command(["PUBLISH", channel, "not json"])
                }
                try await eventually("the repeat and the bad message are counted") {
                    let status = try await sourceStatus(hub, "feed")
                    return sourceCount(status, "duplicates") == 1 && sourceCount(status, "rejected") == 1
                }
                let status = try await sourceStatus(hub, "feed")
                #expect(sourceCount(status, "ingested") == 1)
                #expect((status["last_rejection"] as? String)?.contains("not valid JSON") == true)
                #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 1)
                #expect(sink.received.count == 1)
            }
        }
    }

    @Test func aPatternSubscriptionReceivesEveryMatchingChannel() async throws {
        let prefix = TestRedis.uniqueName("orders")
        let url = try TestRedis.sharedURL()
        try await withHub({ database in
            testConfig(database: database, sources: """
                  orders: { kind: redis-pubsub, url: "\(url)", patterns: ["\(prefix).*"], map: { subject: /order } }
                """)
        }) { hub in
            try await waitForState(hub, "orders", "connected")
            try await TestRedis.withConnection { redis in
                _ = try await redis.command(["PUBLISH", "\(prefix).eu", #"{"order":"A-1"}"#])
                _ = try await redis.command(["PUBLISH", "\(prefix).us", #"{"order":"A-2"}"#])
                _ = try await redis.command(["PUBLISH", "other-\(prefix)", #"{"order":"A-3"}"#])
            }
            try await eventually("two messages stored") {
                try await hub.database.scalar("SELECT count(*) FROM messages WHERE source = 'orders' AND type = 'redis.orders'") == 2
            }
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages WHERE subject = 'A-3'") == 0)
        }
    }
}

/// `kind: redis-stream`: consumer groups, acknowledgement after commit, claiming, reconnecting.
@Suite struct RedisStreamSourceTests {
    static func streamSource(
        _ name: String, url: String, stream: String, extra: String = ""
    ) -> String {
        """
          \(name):
            kind: redis-stream
            url: "\(url)"
            stream: \(stream)
            group: hub
            consumer: test-\(name)
            block: 100ms
            reconnect: { initial: 20ms, max: 300ms }
            map: { type: "stock.{/kind}", subject: /vin }
        \(extra)
        """
    }

    static func entry(_ n: Int, kind: String = "updated") -> [(String, String)] {
        [("data", #"{"kind":"\#(kind)","vin":"VIN\#(n)","n":\#(n)}"#)]
    }

    @Test func entriesAreCommittedThenAcknowledged() async throws {
        let stream = TestRedis.uniqueName("stock")
        let url = try TestRedis.sharedURL()
        // Entries already in the stream before the group exists are read too (start: earliest).
        let ids = try await TestRedis.withConnection { redis in
            var ids: [String] = []
            for n in 1...5 { ids.append(try await redis.add(to: stream, Self.entry(n))) }
            return ids
        }
        try await withHub({ database in testConfig(database: database, sources: Self.streamSource("stock", url: url, stream: stream)) }) { hub in
            try await eventually("five messages stored") {
                try await hub.database.scalar("SELECT count(*) FROM messages WHERE source = 'stock'") == 5
            }
            try await eventually("nothing left pending in the group") {
                try await TestRedis.withConnection { try await $0.pendingCount(stream: stream, group: "hub") } == 0
            }
            let keyed = try await hub.database.scalar(
                "SELECT count(*) FROM messages WHERE idempotency_key IN ('\(ids.joined(separator: "','"))')"
            )
            #expect(keyed == 5)
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages WHERE type = 'stock.updated' AND subject = 'VIN3'") == 1)
            let status = try await sourceStatus(hub, "stock")
            #expect(status["state"] as? String == "connected")
            #expect(sourceCount(status, "ingested") == 5)
            #expect(status["last_message_at"] is String)
        }
        _ = try await TestRedis.withConnection { try await $0.command(["DEL", stream]) }
    }

    @Test func entriesLeftPendingByADeadConsumerAreClaimedAndIngestedOnce() async throws {
        let stream = TestRedis.uniqueName("claims")
        let url = try TestRedis.sharedURL()
        try await TestRedis.withConnection { redis in
            try await redis.createGroup(stream: stream, group: "hub", startId: "0")
            for n in 1...4 { try await redis.add(to: stream, Self.entry(n)) }
            // A consumer that reads and then dies without acknowledging.
            let taken = try await redis.readGroup(stream: stream, group: "hub", consumer: "crashed", count: 10, block: nil, id: ">")
            #expect(taken.count == 4)
        }
        try await withHub({ database in
            testConfig(database: database, sources: Self.streamSource("claims", url: url, stream: stream, extra: "    claim_idle: 300ms"))
        }) { hub in
            try await eventually("the abandoned entries are acknowledged") {
                try await TestRedis.withConnection { try await $0.pendingCount(stream: stream, group: "hub") } == 0
            }
            // Nothing is pending any more, so nothing more can arrive: the count is final.
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages WHERE source = 'claims'") == 4)
            #expect(try await hub.database.scalar("SELECT count(DISTINCT subject) FROM messages") == 4)
        }
        _ = try await TestRedis.withConnection { try await $0.command(["DEL", stream]) }
    }

    @Test func anEntryCommittedButNotAcknowledgedIsNotStoredTwice() async throws {
        // A hub that died between its commit and its XACK: the entry is in the database and still
        // pending. The consumer that claims it finds the entry id already used and only acknowledges.
        let stream = TestRedis.uniqueName("halfdone")
        let url = try TestRedis.sharedURL()
        let database = try await TestDatabase.create()
        try await withHub(database: database, { database in
            testConfig(database: database, sources: Self.streamSource("half", url: url, stream: stream))
        }) { hub in
            _ = try await TestRedis.withConnection { redis in try await redis.add(to: stream, Self.entry(1)) }
            try await eventually("stored") { try await hub.database.scalar("SELECT count(*) FROM messages") == 1 }
        }
        // Make the acknowledged entry pending again, as if the XACK had never happened.
        try await TestRedis.withConnection { redis in
            _ = try await redis.command(["XGROUP", "DESTROY", stream, "hub"]).orThrow()
            try await redis.createGroup(stream: stream, group: "hub", startId: "0")
            _ = try await redis.readGroup(stream: stream, group: "hub", consumer: "crashed", count: 10, block: nil, id: ">")
        }
        try await withHub(database: database, { database in
            testConfig(database: database, sources: Self.streamSource("half", url: url, stream: stream, extra: "    claim_idle: 200ms"))
        }) { hub in
            try await eventually("the entry is acknowledged") {
                try await TestRedis.withConnection { try await $0.pendingCount(stream: stream, group: "hub") } == 0
            }
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 1)
            #expect(sourceCount(try await sourceStatus(hub, "half"), "duplicates") == 1)
        }
        _ = try await TestRedis.withConnection { try await $0.command(["DEL", stream]) }
    }

    @Test func entriesThatCannotBeMappedAreRejectedAndAcknowledged() async throws {
        let stream = TestRedis.uniqueName("bad")
        let url = try TestRedis.sharedURL()
        try await withHub({ database in testConfig(database: database, sources: Self.streamSource("bad", url: url, stream: stream)) }) { hub in
            try await TestRedis.withConnection { redis in
                try await redis.add(to: stream, [("other", "x")])  // no data field
                try await redis.add(to: stream, [("data", "{not json")])
                try await redis.add(to: stream, [("data", #"{"kind":"updated"}"#)])  // no /vin for the subject
                try await redis.add(to: stream, Self.entry(7))
            }
            try await eventually("all four are settled") {
                let status = try await sourceStatus(hub, "bad")
                return sourceCount(status, "ingested") == 1 && sourceCount(status, "rejected") == 3
            }
            try await eventually("none is left pending") {
                try await TestRedis.withConnection { try await $0.pendingCount(stream: stream, group: "hub") } == 0
            }
            let status = try await sourceStatus(hub, "bad")
            #expect((status["last_rejection"] as? String)?.contains("map.subject") == true)
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages WHERE subject = 'VIN7'") == 1)
        }
        _ = try await TestRedis.withConnection { try await $0.command(["DEL", stream]) }
    }

    @Test func allFieldsCanBeThePayload() async throws {
        let stream = TestRedis.uniqueName("fields")
        let url = try TestRedis.sharedURL()
        try await withHub({ database in
            testConfig(database: database, sources: Self.streamSource("fields", url: url, stream: stream, extra: "    payload: all-fields"))
        }) { hub in
            _ = try await TestRedis.withConnection { redis in try await redis.add(to: stream, [("kind", "sold"), ("vin", "V-9"), ("price", "100")]) }
            try await eventually("stored") {
                try await hub.database.scalar(
                    "SELECT count(*) FROM messages WHERE type = 'stock.sold' AND subject = 'V-9' AND data::jsonb ->> 'price' = '100'"
                ) == 1
            }
        }
        _ = try await TestRedis.withConnection { try await $0.command(["DEL", stream]) }
    }

    @Test func aRestartedRedisIsReconnectedAndNothingAcknowledgedIsLost() async throws {
        let server = try PrivateRedisServer()
        defer { server.stop() }
        try await server.start()
        let stream = "restart"
        try await withHub({ database in testConfig(database: database, sources: Self.streamSource("restart", url: server.url, stream: stream)) }) { hub in
            try await waitForState(hub, "restart", "connected")
            try await TestRedis.withConnection(server.url) { redis in
                for n in 1...20 { try await redis.add(to: stream, Self.entry(n)) }
            }
            server.kill()  // mid-stream: some entries committed, some perhaps not yet, some not acknowledged
            try await waitForState(hub, "restart", "reconnecting")
            try await server.start()
            try await waitForState(hub, "restart", "connected")
            try await TestRedis.withConnection(server.url) { redis in
                for n in 21...40 { try await redis.add(to: stream, Self.entry(n)) }
            }
            try await eventually("every entry is stored") {
                try await hub.database.scalar("SELECT count(*) FROM messages WHERE source = 'restart'") == 40
            }
            try await eventually("none is left pending") {
                try await TestRedis.withConnection(server.url) { try await $0.pendingCount(stream: stream, group: "hub") } == 0
            }
            #expect(try await hub.database.scalar("SELECT count(DISTINCT subject) FROM messages") == 40)
            let status = try await sourceStatus(hub, "restart")
            #expect((status["reconnects"] as? Int ?? 0) >= 1)
            #expect(status["last_error"] is String)
        }
    }

    @Test func twoHubsShareOneGroupWithoutStoringAnEntryTwice() async throws {
        let stream = TestRedis.uniqueName("shared")
        let url = try TestRedis.sharedURL()
        let database = try await TestDatabase.create()
        let yaml: @Sendable (String) -> @Sendable (TestDatabase) -> String = { consumer in
            { database in
                testConfig(database: database, sources: Self.streamSource("shared", url: url, stream: stream)
                    .replacingOccurrences(of: "consumer: test-shared", with: "consumer: \(consumer)"))
            }
        }
        try await withHub(database: database, yaml("one")) { first in
            try await withHub(database: database, yaml("two")) { _ in
                try await TestRedis.withConnection { redis in
                    for n in 1...30 { try await redis.add(to: stream, Self.entry(n)) }
                }
                try await eventually("every entry is stored") {
                    try await first.database.scalar("SELECT count(*) FROM messages") == 30
                }
                try await eventually("none is left pending") {
                    try await TestRedis.withConnection { try await $0.pendingCount(stream: stream, group: "hub") } == 0
                }
                #expect(try await first.database.scalar("SELECT count(DISTINCT idempotency_key) FROM messages") == 30)
            }
        }
        _ = try await TestRedis.withConnection { try await $0.command(["DEL", stream]) }
    }
}

/// `GET /v1/sources`: every source with its kind, pulled ones with their state; role read.
@Suite struct SourcesEndpointTests {
    @Test func listsWebhookAndRedisSourcesWithState() async throws {
        let url = try TestRedis.sharedURL()
        try await withHub({ database in
            testConfig(database: database, sources: """
                  carfax: { kind: webhook, verify: { scheme: none } }
                  feed: { kind: redis-pubsub, url: "\(url)", channels: [\(TestRedis.uniqueName("c"))] }
                  down: { kind: redis-stream, url: "redis://127.0.0.1:1", stream: s, reconnect: { initial: 10ms, max: 100ms } }
                """)
        }) { hub in
            #expect(try await hub.get("/v1/sources", token: nil).status == 401)
            try await waitForState(hub, "feed", "connected")
            try await eventually("the unreachable source reports its error") {
                (try await sourceStatus(hub, "down")["last_error"] as? String)?.contains("127.0.0.1:1") == true
            }
            let answer = try await hub.get("/v1/sources", token: TestTokens.reader)
            #expect(answer.status == 200)
            let sources = answer.json["sources"] as? [[String: Any]] ?? []
            #expect(sources.map { $0["name"] as? String } == ["carfax", "down", "feed"])
            #expect(sources[0]["kind"] as? String == "webhook" && sources[0]["state"] == nil)
            #expect(sources[1]["kind"] as? String == "redis-stream")
            #expect(sources[1]["state"] as? String == "reconnecting")
            #expect(sources[2]["kind"] as? String == "redis-pubsub")
            #expect((sources[2]["from"] as? String)?.hasPrefix("redis://127.0.0.1:") == true)
        }
    }
}
