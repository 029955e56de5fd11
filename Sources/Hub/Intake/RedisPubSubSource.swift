import Connectors
import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// `kind: redis-pubsub`: SUBSCRIBE to channels and PSUBSCRIBE to patterns; each message's payload
/// (JSON) becomes a message through the source's mapping. Redis keeps no pub/sub messages: what is
/// published while Hub is disconnected (or cannot commit) is lost, so this source is at most once.
/// With `dedup: { pointer }`, a message whose id was seen before is stored once.
struct RedisPubSubSource: Service {
    let config: RedisPubSubSourceConfig
    let pipeline: IntakePipeline
    let status: SourceStatusReporter
    let logger: Logger

    /// Most messages committed together: those that have already arrived when one is read.
    static let batchLimit = 256

    func run() async {
        await RedisWaitInterrupter.run(runUntilStopped)
        status.stopped()
    }

    private func runUntilStopped(_ interrupter: RedisWaitInterrupter) async {
        var backoff = ReconnectBackoff(config.reconnect)
        while !interrupter.isStopping && !Task.isCancelled {
            var connection: RedisConnection?
            do {
                // No read timeout: a quiet channel is normal; keepalive notices a dead peer.
                let connected = try await RedisConnection.connect(
                    to: config.endpoint, timeout: config.connectTimeout, readTimeout: nil
                )
                connection = connected
                try await subscribe(connected)
                status.connected()
                logger.info("redis pub/sub source subscribed", metadata: ["hub.redis": "\(config.endpoint)"])
                try await consume(connected, interrupter: interrupter, backoff: &backoff)
            } catch {
                if interrupter.isStopping { break }
                status.failed("\(error)", reconnecting: true)
                logger.warning("redis pub/sub source failed; reconnecting", metadata: ["hub.error": "\(error)"])
                await connection?.close()
                connection = nil
                try? await Task.sleep(for: backoff.next())
            }
            await connection?.close()
        }
    }

    private func subscribe(_ connection: RedisConnection) async throws {
        // Each command's first confirmation is its reply; the confirmations for further channels
        // arrive as pushed replies and are skipped by `message(in:)`.
        if !config.channels.isEmpty { _ = try await connection.command(["SUBSCRIBE"] + config.channels).orThrow() }
        if !config.patterns.isEmpty { _ = try await connection.command(["PSUBSCRIBE"] + config.patterns).orThrow() }
    }

    private func consume(
        _ connection: RedisConnection, interrupter: RedisWaitInterrupter, backoff: inout ReconnectBackoff
    ) async throws {
        while !interrupter.isStopping {
            let replies = try await interrupter.waiting(on: connection) {
                try await connection.receive(upTo: Self.batchLimit)
            }
            backoff.reset()
            let messages = replies.compactMap(Self.message)
            guard !messages.isEmpty else { continue }
            let outcomes = await pipeline.commit(messages.map(prepare))
            status.record(outcomes) { "message on \(messages[$0].channel)" }
            for outcome in outcomes {
                switch outcome {
                case .failed(let reason):
                    // Nothing to read again: Redis has already forgotten the message.
                    status.failed("message lost, commit failed: \(reason)", reconnecting: false)
                    logger.error("pub/sub message lost: commit failed", metadata: ["hub.error": "\(reason)"])
                case .rejected(let reason):
                    logger.warning("pub/sub message rejected", metadata: ["hub.reason": "\(reason)"])
                default: break
                }
            }
        }
    }

    private struct Published {
        var channel: String
        var payload: [UInt8]
    }

    /// `[message, channel, payload]` or `[pmessage, pattern, channel, payload]`; nil for subscription confirmations.
    private static func message(in reply: RedisReply) -> Published? {
        guard let parts = reply.elements, let kind = parts.first?.text else { return nil }
        switch kind {
        case "message" where parts.count == 3:
            if let channel = parts[1].text, case .bulk(let payload) = parts[2] { return Published(channel: channel, payload: payload) }
        case "pmessage" where parts.count == 4:
            if let channel = parts[2].text, case .bulk(let payload) = parts[3] { return Published(channel: channel, payload: payload) }
        default: break
        }
        return nil
    }

    private func prepare(_ message: Published) -> IntakePipeline.Prepared {
        guard let payload = JSONValue(parsing: Data(message.payload)) else { return .rejected("the payload is not valid JSON") }
        var key: DedupKey?
        if let pointer = config.dedup {
            guard let id = payload.resolve(pointer)?.scalarText, !id.isEmpty, id.utf8.count <= 255 else {
                return .rejected("dedup \(pointer) found no id (a string or number of at most 255 bytes)")
            }
            key = DedupKey(scope: "redis-pubsub:\(config.name)", key: id)
        }
        return pipeline.prepare(payload, dedupKey: key)
    }
}
