import Connectors
import Foundation
import Outbox
import Testing

@testable import Hub

/// `kind: redis-stream` and `kind: redis-pubsub` in the config: defaults, and errors that name the key and line.
@Suite struct RedisSourceConfigTests {
    let database = #"database: { url: "postgres://hub@127.0.0.1:5432/hub" }"#

    func parse(_ yaml: String, environment: [String: String] = [:]) throws -> HubConfig {
        try ConfigLoader.parse(database + "\n" + yaml, environment: environment)
    }

    func failure(_ yaml: String) -> ConfigError? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func aStreamSourceHasDefaultsForAllButItsStream() throws {
        let config = try parse("""
            sources:
              stock: { kind: redis-stream, url: "redis://:${REDIS_PASSWORD}@cache.internal:6380/2", stream: stock-events }
              hook: { kind: webhook, verify: { scheme: none } }
            """, environment: ["REDIS_PASSWORD": "s3cret"])
        #expect(config.sources.map(\.name) == ["hook"])
        guard case .redisStream(let stream) = try #require(config.intakeSources.first) else {
            Issue.record("expected a redis-stream source")
            return
        }
        #expect(stream.endpoint == RedisEndpoint(host: "cache.internal", port: 6380, password: "s3cret", database: 2))
        #expect("\(stream.endpoint)" == "cache.internal:6380/2")  // never the password
        #expect(stream.stream == "stock-events" && stream.group == "hub" && stream.batch == 100)
        #expect(stream.consumer == RedisStreamSourceConfig.instanceConsumerName)
        #expect(stream.startId == "0" && stream.payload == .field("data"))
        #expect(stream.claimIdle == .seconds(60) && stream.block == .seconds(2))
        #expect(stream.mapping.type.description == "redis.stock")
    }

    @Test func everyStreamKeyIsRead() throws {
        let config = try parse("""
            sources:
              stock:
                kind: redis-stream
                host: 127.0.0.1
                port: 7000
                stream: s
                group: g
                consumer: c
                batch: 10
                block: 250ms
                claim_idle: 30s
                start: latest
                payload: all-fields
                reconnect: { initial: 50ms, max: 2s }
                map: { type: "stock.{/kind}", subject: /vin }
            """)
        guard case .redisStream(let stream) = try #require(config.intakeSources.first) else {
            Issue.record("expected a redis-stream source")
            return
        }
        #expect(stream.endpoint == RedisEndpoint(host: "127.0.0.1", port: 7000))
        #expect(stream.group == "g" && stream.consumer == "c" && stream.batch == 10)
        #expect(stream.block == .milliseconds(250) && stream.claimIdle == .seconds(30))
        #expect(stream.startId == "$" && stream.payload == .allFields)
        #expect(stream.reconnect == ReconnectPolicy(initial: .milliseconds(50), max: .seconds(2)))
        #expect(stream.mapping.subject == JSONPointer("/vin"))
    }

    @Test func aPubSubSourceTakesChannelsPatternsAndADedupPointer() throws {
        let config = try parse("""
            sources:
              feed: { kind: redis-pubsub, url: "redis://127.0.0.1", channels: [a, b], patterns: ["orders.*"], dedup: { pointer: /id } }
            """)
        guard case .redisPubSub(let feed) = try #require(config.intakeSources.first) else {
            Issue.record("expected a redis-pubsub source")
            return
        }
        #expect(feed.channels == ["a", "b"] && feed.patterns == ["orders.*"])
        #expect(feed.dedup == JSONPointer("/id"))
        #expect(feed.endpoint.port == 6379)
    }

    @Test(arguments: [
        ("sources:\n  s:\n    kind: redis-stream\n    url: redis://127.0.0.1\n", "sources.s", 4, "stream is required"),
        ("sources:\n  s:\n    kind: redis-stream\n    url: http://127.0.0.1\n    stream: x\n", "sources.s.url", 5, "redis://"),
        ("sources:\n  s:\n    kind: redis-stream\n    stream: x\n", "sources.s", 4, "url (redis://host:port) or host is required"),
        ("sources:\n  s:\n    kind: redis-stream\n    url: redis://h\n    stream: x\n    strem: y\n", "sources.s.strem", 7, "unknown key"),
        ("sources:\n  s:\n    kind: redis-stream\n    url: redis://h\n    stream: x\n    start: middle\n", "sources.s.start", 7, "earliest"),
        ("sources:\n  s:\n    kind: redis-stream\n    url: redis://h\n    stream: x\n    claim_idle: 0s\n", "sources.s.claim_idle", 7, "above 0"),
        ("sources:\n  s:\n    kind: redis-pubsub\n    url: redis://h\n", "sources.s", 4, "channels, patterns or both"),
        ("sources:\n  s:\n    kind: redis-pubsub\n    url: redis://h\n    channels: [a]\n    dedup: { header: x }\n", "sources.s.dedup", 7, "pointer"),
        ("sources:\n  s:\n    kind: kafka\n", "sources.s.kind", 4, "redis-stream"),
    ])
    func mistakesNameTheKeyAndLine(_ yaml: String, _ key: String, _ line: Int, _ message: String) throws {
        let error = try #require(failure(yaml))
        #expect(error.key == key)
        #expect(error.line == line)
        #expect(error.description.contains(message), "\(error)")
    }
}
