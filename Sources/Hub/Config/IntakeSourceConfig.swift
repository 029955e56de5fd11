import Connectors
import Outbox
import Foundation

/// A source Hub pulls from, as opposed to a webhook source that is pushed to. Each runs as a
/// service of its own while the edge runs, and reports its state in `GET /v1/sources`.
/// New kinds add a case here and a service in `Intake/`.
enum IntakeSourceConfig: Sendable {
    case redisStream(RedisStreamSourceConfig)
    case redisPubSub(RedisPubSubSourceConfig)
    case fileDrop(FileDropSourceConfig)

    var name: String {
        switch self {
        case .redisStream(let source): source.name
        case .redisPubSub(let source): source.name
        case .fileDrop(let source): source.drop.name
        }
    }

    var kind: String {
        switch self {
        case .redisStream: "redis-stream"
        case .redisPubSub: "redis-pubsub"
        case .fileDrop: "sftp-drop"
        }
    }
}

/// Every `kind:` a source may have.
let sourceKinds = ["webhook", "redis-stream", "redis-pubsub", "sftp-drop"]

/// `kind: sftp-drop`: what to take from the folder, and how to reach it.
struct FileDropSourceConfig: Sendable {
    var drop: FileDropConfig
    var client: SFTPClient.Configuration
    var inbox: String
}

/// How long to wait before connecting again after a failure: full jitter over a doubling ceiling.
struct ReconnectPolicy: Sendable, Equatable {
    var initial: Duration = .milliseconds(100)
    var max: Duration = .seconds(10)
}

/// `kind: redis-stream`: a member of a consumer group; entries are acknowledged only once committed.
struct RedisStreamSourceConfig: Sendable {
    /// Which part of a stream entry is the payload the mapping reads.
    enum Payload: Sendable, Equatable {
        /// The value of this field, parsed as JSON.
        case field(String)
        /// Every field as a JSON object of strings.
        case allFields
    }

    var name: String
    var endpoint: RedisEndpoint
    var stream: String
    var group = "hub"
    /// This process's name in the group; unique per instance by default so several hubs share the group.
    var consumer = RedisStreamSourceConfig.instanceConsumerName
    var batch = 100
    var block: Duration = .seconds(2)
    /// Entries pending this long with any consumer (one that crashed) are claimed by this one.
    var claimIdle: Duration = .seconds(60)
    /// Where a group created by Hub starts: `0` (entries already in the stream) or `$` (new ones only).
    var startId = "0"
    var payload = Payload.field("data")
    var mapping: WebhookMapping
    var connectTimeout: Duration = .seconds(5)
    var reconnect = ReconnectPolicy()

    static var instanceConsumerName: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}

/// `kind: redis-pubsub`: SUBSCRIBE / PSUBSCRIBE. At most once: what is published while Hub is
/// not connected never reaches it.
struct RedisPubSubSourceConfig: Sendable {
    var name: String
    var endpoint: RedisEndpoint
    var channels: [String] = []
    var patterns: [String] = []
    var mapping: WebhookMapping
    /// Where a message carries its id; a repeated id is stored once.
    var dedup: JSONPointer?
    var connectTimeout: Duration = .seconds(5)
    var reconnect = ReconnectPolicy()
}
