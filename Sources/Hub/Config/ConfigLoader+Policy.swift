import Outbox

/// Per-destination delivery policy: `rate` and `circuit_breaker`.
extension ConfigLoader {
    /// `rate: 50/s`, `rate: 600/m`, or `rate: { limit: 50/s, burst: 100 }`.
    static func rate(_ node: ConfigNode) throws -> RateLimit {
        if case .scalar = node.node { return RateLimit(perSecond: try perSecond(node)) }
        var perSecond: Double?
        var burst: Int?
        for (key, value) in try node.mapping(allowed: ["limit", "burst"]) {
            if key == "limit" { perSecond = try self.perSecond(value) } else { burst = try value.int(in: 1...100_000) }
        }
        guard let perSecond else { throw node.error("limit is required, e.g. limit: 50/s") }
        return RateLimit(perSecond: perSecond, burst: burst)
    }

    private static func perSecond(_ node: ConfigNode) throws -> Double {
        let text = try node.string()
        let parts = text.split(separator: "/")
        let units: [Substring: Double] = ["s": 1, "m": 60, "h": 3600]
        guard parts.count == 2, let count = Double(parts[0]), count > 0, let unit = units[parts[1]] else {
            throw node.error("expected a rate such as 50/s, 600/m or 1000/h; got '\(text)'")
        }
        return count / unit
    }

    /// `circuit_breaker: { failures: 5, cool_down: 30s }`.
    static func circuitBreaker(_ node: ConfigNode) throws -> CircuitBreakerPolicy {
        var policy = CircuitBreakerPolicy()
        for (key, value) in try node.mapping(allowed: ["failures", "cool_down"]) {
            if key == "failures" { policy.failures = try value.int(in: 1...10_000) } else {
                policy.coolDown = try value.duration()
                guard policy.coolDown > .zero else { throw value.error("cool_down must be longer than 0") }
            }
        }
        return policy
    }
}
