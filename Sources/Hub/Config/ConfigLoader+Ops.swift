import Outbox

/// `ops:` (how bulk actions are paced) and `retention:` (how long finished rows are kept).
extension ConfigLoader {
    /// `ops: { bulk_rate: 500/s, bulk_batch: 100 }`; `bulk_rate` takes any form `rate:` does.
    static func ops(_ node: ConfigNode) throws -> BulkSettings {
        var settings = BulkSettings()
        for (key, value) in try node.mapping(allowed: ["bulk_rate", "bulk_batch"]) {
            switch key {
            case "bulk_rate": settings.rate = try rate(value)
            default: settings.batch = try value.int(in: 1...10_000)
            }
        }
        return settings
    }

    /// `retention: { delivered: 7d, attempts: 7d, messages: 30d, batch: 1000, interval: 1m }`;
    /// an age left out means those rows are kept.
    static func retention(_ node: ConfigNode) throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        for (key, value) in try node.mapping(allowed: ["delivered", "attempts", "messages", "batch", "interval"]) {
            switch key {
            case "delivered": policy.delivered = try positiveDuration(value)
            case "attempts": policy.attempts = try positiveDuration(value)
            case "messages": policy.messages = try positiveDuration(value)
            case "batch": policy.batch = try value.int(in: 1...100_000)
            default: policy.interval = try positiveDuration(value)
            }
        }
        return policy
    }

    private static func positiveDuration(_ node: ConfigNode) throws -> Duration {
        let duration = try node.duration()
        guard duration > .zero else { throw node.error("must be longer than 0") }
        return duration
    }
}
