import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Purges finished rows older than the ``RetentionPolicy`` ages, in small batches, every
/// `interval`. Any number may run against one database: the deletes skip rows another holds.
public struct RetentionService: Service {
    let store: OutboxStore
    let policy: RetentionPolicy
    let logger: Logger

    public init(store: OutboxStore, policy: RetentionPolicy, logger: Logger) {
        self.store = store
        self.policy = policy
        self.logger = logger
    }

    public func run() async throws {
        repeat {
            do {
                try await purgeOnce()
            } catch {
                logger.warning("retention purge failed; trying again next round", metadata: ["hub.error": "\(error)"])
            }
        } while (try? await cancelWhenGracefulShutdown { try await Task.sleep(for: policy.interval) }) != nil
    }

    /// One round: each kind of row in batches until none older than its age is left (or a
    /// shutdown begins). Returns the rows purged, by kind.
    @discardableResult
    public func purgeOnce(now: Date = Date()) async throws -> (attempts: Int, deliveries: Int, messages: Int) {
        var purged = (attempts: 0, deliveries: 0, messages: 0)
        if let age = policy.attempts {
            purged.attempts = try await drain("attempts") {
                try await store.purgeAttempts(deliveredBefore: now - age.seconds, limit: policy.batch)
            }
        }
        if let age = policy.delivered {
            purged.deliveries = try await drain("deliveries") {
                try await store.purgeDeliveries(deliveredBefore: now - age.seconds, limit: policy.batch)
            }
        }
        if let age = policy.messages {
            purged.messages = try await drain("messages") {
                try await store.purgeMessages(receivedBefore: now - age.seconds, limit: policy.batch)
            }
        }
        if purged != (0, 0, 0) {
            logger.info("retention purged old rows", metadata: [
                "hub.purged.attempts": "\(purged.attempts)", "hub.purged.deliveries": "\(purged.deliveries)",
                "hub.purged.messages": "\(purged.messages)",
            ])
        }
        return purged
    }

    private func drain(_ kind: String, _ batch: () async throws -> Int) async throws -> Int {
        let counter = Counter(label: "hub_retention_purged_total", dimensions: [("kind", kind)])
        var total = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let purged = try await batch()
            total += purged
            counter.increment(by: purged)
            if purged < policy.batch { break }
        }
        return total
    }
}
