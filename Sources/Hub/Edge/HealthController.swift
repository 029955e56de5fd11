import Hummingbird
import Outbox
import Prometheus

/// `GET /health` (the process answers), `GET /ready` (the database answers and its schema is
/// current) and `GET /metrics` (Prometheus text, backlog gauges refreshed on each scrape).
struct HealthController: Sendable {
    let store: OutboxStore
    let migrator: Migrator
    let metrics: HubMetrics
    /// Configured destinations: each reports a backlog, 0 included, from the first scrape.
    let destinations: [String]
    /// Configured feeds: each reports whether the shrink guard holds it and its last publication.
    var feeds: [String] = []

    func register(on router: Router<HubRequestContext>) {
        router.get("health") { _, _ in try JSONBody.response(status: .ok, ["status": "ok"]) }
        router.get("ready", use: ready)
        router.get("metrics", use: scrape)
    }

    @Sendable func ready(_ request: Request, context: HubRequestContext) async throws -> Response {
        let version: Int
        do {
            version = try await withDeadline(.seconds(2)) { try await migrator.currentVersion() }
        } catch {
            return try JSONBody.response(status: .serviceUnavailable, ["status": "unavailable", "reason": "database unreachable"])
        }
        guard version == Migrations.latestVersion else {
            return try JSONBody.response(status: .serviceUnavailable, [
                "status": "unavailable",
                "reason": "schema at version \(version), this hub needs \(Migrations.latestVersion): run hub migrate",
            ])
        }
        return try JSONBody.response(status: .ok, ["status": "ready", "schema_version": "\(version)"])
    }

    @Sendable func scrape(_ request: Request, context: HubRequestContext) async throws -> Response {
        if let backlog = try? await withDeadline(.seconds(2), operation: { try await store.backlog() }) {
            metrics.update(backlog: backlog, configured: destinations)
        }
        if let paused = try? await withDeadline(.seconds(2), operation: { try await store.pausedDestinations() }) {
            metrics.update(paused: paused, configured: destinations)
        }
        for feed in feeds {
            if let history = try? await withDeadline(.seconds(2), operation: { try await store.feedHistory(feed, limit: 1) }) {
                metrics.update(feed: feed, history: history)
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.render()))
        )
    }
}
