import Connectors
import Foundation
import HubTestSupport
import Testing

/// The hiredis connection against the loopback redis-server: binary-safe arguments, replies,
/// errors, and the stream commands the sources use.
@Suite struct RedisConnectionTests {
    @Test func argumentsAndRepliesAreBinarySafe() async throws {
        let key = TestRedis.uniqueName("bytes")
        let value: [UInt8] = [0, 13, 10, 255, 36, 42, 0]
        let reply = try await TestRedis.withConnection { redis in
            _ = try await redis.command(bytes: [Array("SET".utf8), Array(key.utf8), value]).orThrow()
            let read = try await redis.command(["GET", key])
            _ = try await redis.command(["DEL", key])
            return read
        }
        #expect(reply == .bulk(value))
    }

    @Test func anErrorReplyLeavesTheConnectionUsable() async throws {
        let (error, after) = try await TestRedis.withConnection { redis in
            (try await redis.command(["NO-SUCH-COMMAND"]), try await redis.command(["PING"]))
        }
        guard case .error(let message) = error else {
            Issue.record("expected an error reply, got \(error)")
            return
        }
        #expect(message.contains("unknown command"))
        #expect(after == .status("PONG"))
    }

    @Test func aRefusedConnectionIsAConnectionError() async throws {
        let closed = try PrivateRedisServer()  // a free port nobody listens on
        defer { closed.stop() }
        await #expect(throws: RedisError.self) {
            _ = try await RedisConnection.connect(to: RedisEndpoint(host: "127.0.0.1", port: closed.port))
        }
        do {
            _ = try await RedisConnection.connect(to: RedisEndpoint(host: "127.0.0.1", port: closed.port))
        } catch let error as RedisError {
            #expect(error.isConnectionLost)
        }
    }

    @Test func aGroupMemberReadsClaimsAndAcknowledges() async throws {
        let stream = TestRedis.uniqueName("stream")
        try await TestRedis.withConnection { redis in
            try await redis.createGroup(stream: stream, group: "g", startId: "0")
            try await redis.createGroup(stream: stream, group: "g", startId: "0")  // an existing group is fine
            let first = try await redis.add(to: stream, [("data", #"{"n":1}"#)])
            let read = try await redis.readGroup(stream: stream, group: "g", consumer: "a", count: 10, block: nil, id: ">")
            #expect(read == [RedisStreamEntry(id: first, fields: [.init(name: "data", value: Array(#"{"n":1}"#.utf8))])])
            try await Task.sleep(for: .milliseconds(50))  // idle longer than minIdle below
            let claimed = try await redis.autoClaim(
                stream: stream, group: "g", consumer: "b", minIdle: .milliseconds(1), cursor: "0-0", count: 10
            )
            #expect(claimed.entries.map(\.id) == [first])
            #expect(try await redis.acknowledge(stream: stream, group: "g", ids: [first]) == 1)
            #expect(try await redis.pendingCount(stream: stream, group: "g") == 0)
            _ = try await redis.command(["DEL", stream])
        }
    }
}
