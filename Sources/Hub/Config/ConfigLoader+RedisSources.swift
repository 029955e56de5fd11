import Connectors
import Foundation

/// `sources:` entries of `kind: redis-stream` and `kind: redis-pubsub`.
extension ConfigLoader {
    private static let connectionKeys: Set<String> = ["url", "host", "port", "password", "database", "connect_timeout", "reconnect"]

    /// The source, when its kind is one Hub pulls from; nil for a webhook source (or one without a kind,
    /// which the webhook reader reports).
    static func intakeSource(_ name: String, _ node: ConfigNode) throws -> IntakeSourceConfig? {
        guard case .mapping = node.node,
            let kindNode = try node.mapping().first(where: { $0.key == "kind" })?.value
        else { return nil }
        switch try kindNode.string() {
        case "redis-stream": return .redisStream(try redisStream(name, node))
        case "redis-pubsub": return .redisPubSub(try redisPubSub(name, node))
        case "sftp-drop":
            try checkSourceName(name, node)
            return .fileDrop(try fileDropSource(name, node))
        default: return nil
        }
    }

    private static func redisStream(_ name: String, _ node: ConfigNode) throws -> RedisStreamSourceConfig {
        try checkSourceName(name, node)
        let allowed: Set<String> = ["kind", "stream", "group", "consumer", "batch", "block", "claim_idle", "start", "payload", "map"]
        let entries = try node.mapping(allowed: allowed.union(connectionKeys))
        let (endpoint, connectTimeout, reconnect) = try redisConnection(entries, node: node)
        var source = RedisStreamSourceConfig(
            name: name, endpoint: endpoint, stream: "",
            mapping: try defaultMapping(entries, source: name, defaultType: "redis.\(name)")
        )
        source.connectTimeout = connectTimeout
        source.reconnect = reconnect
        for (key, value) in entries {
            switch key {
            case "stream": source.stream = try redisName(value)
            case "group": source.group = try redisName(value)
            case "consumer": source.consumer = try redisName(value)
            case "batch": source.batch = try value.int(in: 1...10_000)
            case "block": source.block = try positive(value)
            case "claim_idle": source.claimIdle = try positive(value)
            case "start":
                switch try value.string() {
                case "earliest": source.startId = "0"
                case "latest": source.startId = "$"
                default: throw value.error("expected earliest (entries already in the stream) or latest (new entries only)")
                }
            case "payload":
                let text = try value.string()
                guard !text.isEmpty else { throw value.error("name the entry field that holds JSON, or write all-fields") }
                source.payload = text == "all-fields" ? .allFields : .field(text)
            default: break
            }
        }
        guard !source.stream.isEmpty else { throw node.error("stream is required: the Redis stream key to read") }
        return source
    }

    private static func redisPubSub(_ name: String, _ node: ConfigNode) throws -> RedisPubSubSourceConfig {
        try checkSourceName(name, node)
        let allowed: Set<String> = ["kind", "channels", "patterns", "map", "dedup"]
        let entries = try node.mapping(allowed: allowed.union(connectionKeys))
        let (endpoint, connectTimeout, reconnect) = try redisConnection(entries, node: node)
        var source = RedisPubSubSourceConfig(
            name: name, endpoint: endpoint,
            mapping: try defaultMapping(entries, source: name, defaultType: "redis.\(name)")
        )
        source.connectTimeout = connectTimeout
        source.reconnect = reconnect
        for (key, value) in entries {
            switch key {
            case "channels", "patterns":
                let names = try value.strings()
                guard !names.contains("") else { throw value.error("channel names and patterns must not be empty") }
                if key == "channels" { source.channels = names } else { source.patterns = names }
            case "dedup":
                switch try dedupRule(value) {
                case nil: source.dedup = nil
                case .pointer(let pointer): source.dedup = pointer
                case .header: throw value.error("a Redis message has no headers: use dedup: { pointer: /id }")
                }
            default: break
            }
        }
        guard !(source.channels + source.patterns).isEmpty else {
            throw node.error("give channels, patterns or both: what to subscribe to")
        }
        return source
    }

    private static func checkSourceName(_ name: String, _ node: ConfigNode) throws {
        guard isValidName(name) else {
            throw node.error("source names may hold only lowercase letters, digits, - and _ (got '\(name)')")
        }
    }

    private static func defaultMapping(
        _ entries: [(key: String, value: ConfigNode)], source: String, defaultType: String
    ) throws -> WebhookMapping {
        if let map = entries.first(where: { $0.key == "map" })?.value {
            return try webhookMapping(map, source: source, defaultType: defaultType)
        }
        return WebhookMapping(type: try! TypeTemplate(defaultType))
    }

    /// `url: redis://…`, or `host:` with `port:`; `password:` and `database:` override the URL's.
    private static func redisConnection(
        _ entries: [(key: String, value: ConfigNode)], node: ConfigNode
    ) throws -> (RedisEndpoint, connectTimeout: Duration, ReconnectPolicy) {
        var endpoint: RedisEndpoint?
        var connectTimeout = Duration.seconds(5)
        var reconnect = ReconnectPolicy()
        if let url = entries.first(where: { $0.key == "url" })?.value {
            if entries.contains(where: { $0.key == "host" }) { throw url.error("give url or host, not both") }
            let text = try url.string()
            guard let parsed = RedisEndpoint(url: text) else {
                throw url.error("expected redis://[[user]:password@]host[:port][/database] (no TLS)")
            }
            endpoint = parsed
        }
        for (key, value) in entries {
            switch key {
            case "host":
                let host = try value.string()
                guard !host.isEmpty else { throw value.error("must not be empty") }
                endpoint = RedisEndpoint(host: host, port: endpoint?.port ?? 6379)
            default: continue
            }
        }
        guard var endpoint else { throw node.error("url (redis://host:port) or host is required") }
        for (key, value) in entries {
            switch key {
            case "port": endpoint.port = try value.int(in: 1...65535)
            case "password":
                let password = try value.string()
                endpoint.password = password.isEmpty ? nil : password
            case "database": endpoint.database = try value.int(in: 0...10_000)
            case "connect_timeout": connectTimeout = try positive(value)
            case "reconnect": reconnect = try reconnectPolicy(value)
            default: continue
            }
        }
        return (endpoint, connectTimeout, reconnect)
    }

    private static func reconnectPolicy(_ node: ConfigNode) throws -> ReconnectPolicy {
        var policy = ReconnectPolicy()
        for (key, value) in try node.mapping(allowed: ["initial", "max"]) {
            if key == "initial" { policy.initial = try positive(value) } else { policy.max = try positive(value) }
        }
        guard policy.initial <= policy.max else { throw node.error("initial must not exceed max") }
        return policy
    }

    private static func redisName(_ node: ConfigNode) throws -> String {
        let text = try node.string()
        guard !text.isEmpty else { throw node.error("must not be empty") }
        return text
    }

    private static func positive(_ node: ConfigNode) throws -> Duration {
        let value = try node.duration()
        guard value > .zero else { throw node.error("must be above 0") }
        return value
    }
}
