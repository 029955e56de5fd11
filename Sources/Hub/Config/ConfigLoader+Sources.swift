import Outbox

/// Webhook sources and vendor callbacks.
extension ConfigLoader {
    /// Source names become URL path segments and dedup scopes.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    static func source(_ name: String, _ node: ConfigNode) throws -> SourceConfig {
        guard isValidName(name) else {
            throw node.error("source names may hold only lowercase letters, digits, - and _ (got '\(name)')")
        }
        let entries = try node.mapping(allowed: ["kind", "verify", "dedup", "map"])
        var verifier: (any WebhookVerifier)?
        var scheme = ""
        var dedup: DedupRule??
        var mapping = WebhookMapping(type: try! TypeTemplate("webhook.\(name)"))
        var sawKind = false
        for (key, value) in entries {
            switch key {
            case "kind":
                guard try value.string() == "webhook" else {
                    throw value.error("unknown source kind (expected one of: \(sourceKinds.joined(separator: ", ")))")
                }
                sawKind = true
            case "verify":
                verifier = try webhookVerifier(value)
                scheme = try value.mapping().first(where: { $0.key == "scheme" })?.value.string() ?? ""
            case "dedup": dedup = .some(try dedupRule(value))
            default: mapping = try webhookMapping(value, source: name)
            }
        }
        guard sawKind else { throw node.error("kind is required (one of: \(sourceKinds.joined(separator: ", ")))") }
        guard let verifier else {
            throw node.error("verify is required; write verify: { scheme: none } to accept unsigned webhooks")
        }
        return SourceConfig(name: name, verifier: verifier, dedup: dedup ?? defaultDedup(scheme: scheme), mapping: mapping)
    }

    /// Schemes whose vendors send a stable event id get deduplicated on it without being asked.
    private static func defaultDedup(scheme: String) -> DedupRule? {
        switch scheme {
        case "standard-webhooks": .header("webhook-id")
        case "github": .header("X-GitHub-Delivery")
        case "stripe": .pointer(JSONPointer("/id")!)
        default: nil
        }
    }

    static func dedupRule(_ node: ConfigNode) throws -> DedupRule? {
        if case .scalar = node.node, try node.string() == "none" { return nil }
        let entries = try node.mapping(allowed: ["header", "pointer"])
        guard entries.count == 1, let (key, value) = entries.first else {
            throw node.error("give exactly one of header or pointer (or write dedup: none)")
        }
        if key == "header" {
            let header = try value.string()
            guard !header.isEmpty, header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw value.error("'\(header)' is not a header name")
            }
            return .header(header)
        }
        return .pointer(try pointer(value))
    }

    /// `map:` of any source; `defaultType` is the type when `map.type` is not given.
    static func webhookMapping(_ node: ConfigNode, source: String, defaultType: String? = nil) throws -> WebhookMapping {
        var mapping = WebhookMapping(type: try! TypeTemplate(defaultType ?? "webhook.\(source)"))
        for (key, value) in try node.mapping(allowed: ["type", "subject", "time", "data", "redact", "trim", "optional"]) {
            switch key {
            case "type":
                do { mapping.type = try TypeTemplate(try value.string()) } catch let error as TypeTemplate.TemplateError {
                    throw value.error(error.message)
                }
            case "subject": mapping.subject = try pointer(value)
            case "time": mapping.time = try pointer(value)
            case "data": mapping.data = try pointer(value)
            case "redact": mapping.cleaner.redact = try pointers(value)
            case "trim": mapping.cleaner.trim = try value.bool()
            default:
                for field in try value.strings() {
                    guard let parsed = WebhookMapping.Field(rawValue: field) else {
                        throw value.error("only subject and time can be optional (got '\(field)')")
                    }
                    mapping.optional.insert(parsed)
                }
            }
        }
        return mapping
    }

    /// `callback:` of an async vendor destination; returns it with the job deadline.
    static func callback(_ node: ConfigNode) throws -> (CallbackConfig, deadline: Duration) {
        let entries = try node.mapping(allowed: ["verify", "job_id", "result", "error", "deadline", "redact", "trim"])
        guard let verify = entries.first(where: { $0.key == "verify" })?.value else {
            throw node.error("verify is required: how Hub proves a callback came from this vendor")
        }
        var callback = CallbackConfig(verifier: try webhookVerifier(verify))
        var deadline = Duration.seconds(600)
        for (key, value) in entries {
            switch key {
            case "job_id": callback.jobId = try pointer(value)
            case "result": callback.result = try pointer(value)
            case "error": callback.error = try pointer(value)
            case "deadline": deadline = try value.duration()
            case "redact": callback.cleaner.redact = try pointers(value)
            case "trim": callback.cleaner.trim = try value.bool()
            default: break
            }
        }
        return (callback, deadline)
    }

    static func pointer(_ node: ConfigNode) throws -> JSONPointer {
        let text = try node.string()
        guard let pointer = JSONPointer(text) else {
            throw node.error("'\(text)' is not a JSON pointer (expected e.g. /data/vin, or \"\" for the whole body)")
        }
        return pointer
    }

    private static func pointers(_ node: ConfigNode) throws -> [JSONPointer] {
        try node.sequence().map(pointer)
    }
}
