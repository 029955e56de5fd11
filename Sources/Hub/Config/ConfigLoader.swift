import Foundation
import Outbox
import Yams

/// Reads and validates a config file. Unknown keys, wrong types, unset environment variables and
/// inconsistent references are all reported with the key path and the line.
enum ConfigLoader {
    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> HubConfig
    {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(key: "", line: nil, message: "cannot read config file \(path)")
        }
        return try parse(text, environment: environment)
    }

    static func parse(_ text: String, environment: [String: String]) throws -> HubConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(key: "", line: nil, message: "the config file is empty")
            }
            root = node
        } catch let error as YamlError {
            throw ConfigError(key: "", line: nil, message: "not valid YAML: \(error)")
        }
        var config = HubConfig()
        let top = ConfigNode(node: root, path: "", environment: environment)
        var sawDatabase = false
        let sections: Set<String> = [
            "server", "database", "auth", "relay", "destinations", "routes", "sources", "collections", "log", "ops",
            "retention", "feeds",
        ]
        for (key, value) in try top.mapping(allowed: sections) {
            switch key {
            case "server": config.server = try server(value)
            case "database":
                config.database = try database(value)
                sawDatabase = true
            case "auth": config.auth = try auth(value)
            case "relay": config.relay = try relay(value)
            case "log": config.log = try logSettings(value)
            case "destinations": config.destinations = try value.mapping().map { try destination($0.key, $0.value) }
            case "sources":
                for (name, entry) in try value.mapping() {
                    if let intake = try intakeSource(name, entry) { config.intakeSources.append(intake) } else {
                        config.sources.append(try source(name, entry))
                    }
                }
            case "collections": config.collections = try value.mapping().map { try collection($0.key, $0.value) }
            case "ops": config.ops = try ops(value)
            case "retention": config.retention = try retention(value)
            case "feeds": config.feeds = try value.mapping().map { try feed($0.key, $0.value) }
            default: config.routes = try value.sequence().map(route)
            }
        }
        guard sawDatabase else { throw ConfigError(key: "database", line: nil, message: "required (database.url)") }
        try validate(config, top: top)
        try validateSearchDestinations(config, top: top)
        try validateFeeds(&config, top: top)
        return config
    }

    private static func server(_ node: ConfigNode) throws -> ServerConfig {
        var server = ServerConfig()
        for (key, value) in try node.mapping(allowed: ["host", "port", "max_body"]) {
            switch key {
            case "host": server.host = try value.string()
            case "port": server.port = try value.int(in: 0...65535)
            default:
                server.maxBody = try value.size()
                guard server.maxBody >= 1024 else { throw value.error("must be at least 1KiB") }
            }
        }
        return server
    }

    private static func database(_ node: ConfigNode) throws -> DatabaseConfig {
        var database = DatabaseConfig()
        var sawURL = false
        for (key, value) in try node.mapping(allowed: ["url", "max_connections", "writers", "commit_timeout"]) {
            switch key {
            case "url":
                database.url = try value.string()
                guard (try? DatabaseURL(database.url)) != nil else {
                    throw value.error("expected postgres://user[:password]@host[:port]/database")
                }
                sawURL = true
            case "max_connections": database.maxConnections = try value.int(in: 4...1000)
            case "writers": database.writers = try value.int(in: 1...64)
            default: database.commitTimeout = try value.duration()
            }
        }
        guard sawURL else { throw node.error("url is required") }
        guard database.writers + 4 <= database.maxConnections else {
            throw node.error("max_connections must leave room beyond writers for the relay (writers + 4 at least)")
        }
        return database
    }

    private static func auth(_ node: ConfigNode) throws -> AuthConfig {
        var auth = AuthConfig()
        var names = Set<String>()
        for (_, tokens) in try node.mapping(allowed: ["tokens"]) {
            for entry in try tokens.sequence() {
                let parsed = try token(entry)
                guard names.insert(parsed.name).inserted else {
                    throw entry.error("token name '\(parsed.name)' is used twice")
                }
                auth.tokens.append(parsed)
            }
        }
        return auth
    }

    private static func token(_ node: ConfigNode) throws -> TokenConfig {
        var name: String?, secret: String?, roles: Set<Role> = []
        for (key, value) in try node.mapping(allowed: ["name", "token", "roles"]) {
            switch key {
            case "name": name = try value.string()
            case "token":
                secret = try value.string()
                guard secret!.count >= 16 else { throw value.error("tokens must be at least 16 characters") }
            default:
                for role in try value.strings() {
                    guard let parsed = Role(rawValue: role) else {
                        let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                        throw value.error("unknown role '\(role)' (expected one of: \(known))")
                    }
                    roles.insert(parsed)
                }
            }
        }
        guard let name, !name.isEmpty else { throw node.error("name is required") }
        guard let secret else { throw node.error("token is required") }
        return TokenConfig(name: name, token: secret, roles: roles)
    }

    private static func relay(_ node: ConfigNode) throws -> RelaySettings {
        var relay = RelaySettings()
        for (key, value) in try node.mapping(allowed: ["claim_batch", "poll_interval", "lease", "rescue_interval"]) {
            switch key {
            case "claim_batch": relay.claimBatch = try value.int(in: 1...10000)
            case "poll_interval": relay.pollInterval = try value.duration()
            case "lease": relay.lease = try value.duration()
            default: relay.rescueInterval = try value.duration()
            }
        }
        return relay
    }

    private static func destination(_ name: String, _ node: ConfigNode) throws -> DestinationConfig {
        let allowed = Set([
            "kind", "url", "secret", "timeout", "concurrency", "retry", "headers", "mode", "callback", "rate",
            "circuit_breaker", "ordering",
        ]).union(s3Keys).union(sftpKeys).union(searchKeys)
        let entries = try node.mapping(allowed: allowed)
        let kinds = DestinationConfig.Kind.allCases.map(\.rawValue).joined(separator: ", ")
        guard let kindNode = entries.first(where: { $0.key == "kind" })?.value else {
            throw node.error("kind is required (one of: \(kinds))")
        }
        let kindText = try kindNode.string()
        guard let kind = DestinationConfig.Kind(rawValue: kindText) else {
            throw kindNode.error("unknown destination kind '\(kindText)' (expected one of: \(kinds))")
        }
        try checkKeys(of: kind, entries)
        var destination = DestinationConfig(name: name, kind: kind, url: "")
        for (key, value) in entries {
            switch key {
            case "url":
                destination.url = try value.string()
                guard let url = URL(string: destination.url), ["http", "https"].contains(url.scheme ?? ""),
                    url.host != nil
                else { throw value.error("expected an http:// or https:// URL, got '\(destination.url)'") }
            case "secret":
                let secret = try value.string()
                destination.secret = secret.isEmpty ? nil : secret
            case "timeout": destination.timeout = try value.duration()
            case "concurrency": destination.concurrency = try value.int(in: 1...4096)
            case "retry": destination.retry = try retry(value)
            case "rate": destination.rate = try rate(value)
            case "circuit_breaker": destination.circuitBreaker = try circuitBreaker(value)
            case "ordering":
                switch try value.string() {
                case "per-subject": destination.orderedBySubject = true
                case "none": destination.orderedBySubject = false
                default: throw value.error("unknown ordering (expected per-subject or none)")
                }
            case "headers":
                destination.headers = try value.mapping().map { ($0.key, try $0.value.string()) }
            default: break  // mode and callback are read together below: their order in the file is free
            }
        }
        switch kind {
        case .http: guard !destination.url.isEmpty else { throw node.error("url is required for an http destination") }
        case .s3: destination.s3 = try s3Destination(node, entries)
        case .sftp: destination.sftp = try sftpDestination(node, entries)
        case .search: destination.collection = try searchDestination(node, entries)
        }
        try readJobMode(of: &destination, entries: entries, node: node)
        guard isValidName(name) || destination.jobMode == nil else {
            throw node.error("a vendor's name is its callback path: only lowercase letters, digits, - and _")
        }
        return destination
    }

    /// `mode: sync | async`, and for async the `callback:` that carries its deadline.
    private static func readJobMode(
        of destination: inout DestinationConfig, entries: [(key: String, value: ConfigNode)], node: ConfigNode
    ) throws {
        let callbackNode = entries.first(where: { $0.key == "callback" })?.value
        guard let modeNode = entries.first(where: { $0.key == "mode" })?.value else {
            if callbackNode != nil { throw node.error("callback applies only to a destination with mode: async") }
            return
        }
        switch try modeNode.string() {
        case "sync":
            if callbackNode != nil { throw node.error("callback applies only to a destination with mode: async") }
            destination.jobMode = .sync
        case "async":
            guard let callbackNode else {
                throw modeNode.error("an async vendor needs callback: { verify: ..., job_id: ..., deadline: ... }")
            }
            let (callback, deadline) = try callback(callbackNode)
            destination.callback = callback
            destination.jobMode = .async(deadline: deadline)
        default:
            throw modeNode.error("unknown mode (expected sync or async)")
        }
    }

    private static func retry(_ node: ConfigNode) throws -> RetryPolicy {
        var policy = RetryPolicy()
        for (key, value) in try node.mapping(allowed: ["max_attempts", "initial", "max", "max_age"]) {
            switch key {
            case "max_attempts": policy.maxAttempts = try value.int(in: 1...1000)
            case "initial": policy.initial = try value.duration()
            case "max": policy.max = try value.duration()
            default: policy.maxAge = try value.duration()
            }
        }
        guard policy.initial <= policy.max else { throw node.error("initial must not exceed max") }
        return policy
    }

    private static func route(_ node: ConfigNode) throws -> RouteConfig {
        var route = RouteConfig(to: [])
        var sawTo = false
        for (key, value) in try node.mapping(allowed: ["match", "to"]) {
            if key == "to" {
                route.to = try value.strings()
                sawTo = true
                continue
            }
            for (field, pattern) in try value.mapping(allowed: ["type", "source", "subject"]) {
                let glob = GlobPattern(try pattern.string())
                switch field {
                case "type": route.type = glob
                case "source": route.source = glob
                default: route.subject = glob
                }
            }
        }
        guard sawTo, !route.to.isEmpty else { throw node.error("to is required: the destinations this route feeds") }
        return route
    }

    /// Checks that span sections: routes name real destinations, leases outlast timeouts.
    private static func validate(_ config: HubConfig, top: ConfigNode) throws {
        let entries = try top.mapping()
        let known = Set(config.destinations.map(\.name))
        if let routesNode = entries.first(where: { $0.key == "routes" })?.value {
            for (route, node) in zip(config.routes, try routesNode.sequence()) {
                for name in route.to where !known.contains(name) {
                    throw ConfigError(
                        key: "\(node.path).to", line: node.line,
                        message: "unknown destination '\(name)' (defined: \(known.sorted().joined(separator: ", ")))"
                    )
                }
            }
        }
        if let destinationsNode = entries.first(where: { $0.key == "destinations" })?.value {
            for (destination, entry) in zip(config.destinations, try destinationsNode.mapping()) {
                guard destination.timeout < config.relay.lease else {
                    throw entry.value.error(
                        "timeout \(destination.timeout) must be shorter than relay.lease \(config.relay.lease)"
                    )
                }
            }
        }
    }
}
