import Connectors
import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// `kind: redis-stream`: one member of a Redis consumer group. Each entry becomes a message keyed
/// by its entry id (so an entry read twice is stored once) and is acknowledged (XACK) only after
/// its transaction committed; what was read but not acknowledged stays pending in the group and
/// is read again: after a reconnect by this consumer, after `claim_idle` by any other (XAUTOCLAIM).
/// An entry that cannot become a message is rejected (counted, shown in `GET /v1/sources`) and
/// acknowledged, so one bad entry never wedges the stream.
struct RedisStreamSource: Service {
    let config: RedisStreamSourceConfig
    let pipeline: IntakePipeline
    let status: SourceStatusReporter
    let logger: Logger

    private struct CommitFailed: Error, CustomStringConvertible {
        var description: String
    }

    func run() async {
        await RedisWaitInterrupter.run(runUntilStopped)
        status.stopped()
    }

    private func runUntilStopped(_ interrupter: RedisWaitInterrupter) async {
        var backoff = ReconnectBackoff(config.reconnect)
        while !interrupter.isStopping && !Task.isCancelled {
            var connection: RedisConnection?
            do {
                let connected = try await RedisConnection.connect(
                    to: config.endpoint, timeout: config.connectTimeout, readTimeout: config.block + .seconds(10)
                )
                connection = connected
                try await connected.createGroup(stream: config.stream, group: config.group, startId: config.startId)
                status.connected()
                logger.info("redis stream source connected", metadata: ["hub.redis": "\(config.endpoint)"])
                try await consume(connected, interrupter: interrupter, backoff: &backoff)
            } catch {
                if interrupter.isStopping { break }
                let reconnecting = !(error is CommitFailed)
                status.failed("\(error)", reconnecting: reconnecting)
                logger.warning("redis stream source failed; retrying", metadata: ["hub.error": "\(error)"])
                await connection?.close()
                connection = nil
                let delay = backoff.next()
                try? await Task.sleep(for: delay)
            }
            await connection?.close()
        }
    }

    /// Reads until shutdown. Throws on a connection error, and on a commit failure (after acknowledging
    /// what did commit): both are retried by the caller after a backoff, starting over from the
    /// entries still pending with this consumer.
    private func consume(
        _ connection: RedisConnection, interrupter: RedisWaitInterrupter, backoff: inout ReconnectBackoff
    ) async throws {
        // Entries this consumer read before a reconnect (or a failed commit) and never acknowledged.
        try await drainOwnPending(connection)
        let clock = ContinuousClock()
        let claimEvery = min(config.claimIdle / 2, .seconds(5))
        var nextClaim = clock.now
        while !interrupter.isStopping {
            if clock.now >= nextClaim {
                try await claimAbandoned(connection)
                nextClaim = clock.now + claimEvery
            }
            let entries = try await interrupter.waiting(on: connection) {
                try await connection.readGroup(
                    stream: config.stream, group: config.group, consumer: config.consumer, count: config.batch,
                    block: config.block, id: ">"
                )
            }
            try await ingest(entries, connection)
            backoff.reset()
        }
    }

    private func drainOwnPending(_ connection: RedisConnection) async throws {
        while true {
            let entries = try await connection.readGroup(
                stream: config.stream, group: config.group, consumer: config.consumer, count: config.batch,
                block: nil, id: "0"
            )
            if entries.isEmpty { return }
            try await ingest(entries, connection)
        }
    }

    /// Takes over entries another consumer (one that crashed) left pending past `claim_idle`.
    private func claimAbandoned(_ connection: RedisConnection) async throws {
        var cursor = "0-0"
        repeat {
            let claimed = try await connection.autoClaim(
                stream: config.stream, group: config.group, consumer: config.consumer, minIdle: config.claimIdle,
                cursor: cursor, count: config.batch
            )
            if !claimed.entries.isEmpty {
                logger.info("claimed abandoned stream entries", metadata: ["hub.redis.claimed": "\(claimed.entries.count)"])
            }
            try await connection.acknowledge(stream: config.stream, group: config.group, ids: claimed.deleted)
            try await ingest(claimed.entries, connection)
            cursor = claimed.cursor
        } while cursor != "0-0"
    }

    /// Commits a batch, then acknowledges every entry that is settled (committed, a duplicate, rejected,
    /// or deleted from the stream). Throws when some did not commit: they stay pending.
    private func ingest(_ entries: [RedisStreamEntry], _ connection: RedisConnection) async throws {
        guard !entries.isEmpty else { return }
        let prepared = entries.map(prepare)
        let outcomes = await pipeline.commit(prepared)
        status.record(outcomes) { "entry \(entries[$0].id)" }
        for (entry, outcome) in zip(entries, outcomes) {
            if case .rejected(let reason) = outcome {
                logger.warning("stream entry rejected", metadata: ["hub.redis.entry": "\(entry.id)", "hub.reason": "\(reason)"])
            }
        }
        let settled = zip(entries, outcomes).filter { $0.1.isSettled }.map { $0.0.id }
        try await connection.acknowledge(stream: config.stream, group: config.group, ids: settled)
        if let failure = outcomes.first(where: { !$0.isSettled }), case .failed(let reason) = failure {
            throw CommitFailed(description: "commit failed, entries stay pending: \(reason)")
        }
    }

    private func prepare(_ entry: RedisStreamEntry) -> IntakePipeline.Prepared {
        guard let fields = entry.fields else { return .rejected("deleted from the stream before it was read") }
        let key = DedupKey(scope: "redis-stream:\(config.name)", key: entry.id)
        switch config.payload {
        case .field(let name):
            guard let field = fields.last(where: { $0.name == name }) else {
                return .rejected("the entry has no field '\(name)' (payload: \(name))")
            }
            return pipeline.prepare(bytes: field.value, described: "field '\(name)'", dedupKey: key)
        case .allFields:
            var object: [String: JSONValue] = [:]
            for field in fields { object[field.name] = .string(String(decoding: field.value, as: UTF8.self)) }
            return pipeline.prepare(.object(object), dedupKey: key)
        }
    }
}
