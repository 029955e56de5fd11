import Hummingbird
import Outbox

/// Builds the router: health and metrics at the root, the authenticated API under `/v1`.
enum HTTPEdge {
    static func router(config: HubConfig, writer: OutboxWriter, store: OutboxStore, metrics: HubMetrics)
        -> Router<HubRequestContext>
    {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: EdgeMiddleware())
        HealthController(
            store: store, migrator: Migrator(client: store.client, logger: store.logger), metrics: metrics,
            destinations: config.destinations.map(\.name)
        ).register(on: router)
        let v1 = router.group("v1").add(middleware: AuthMiddleware(authenticator: Authenticator(tokens: config.auth.tokens)))
        MessagesController(
            writer: writer, store: store, router: MessageRouter(routes: config.routes), maxBody: config.server.maxBody
        ).register(on: v1)
        return router
    }
}
