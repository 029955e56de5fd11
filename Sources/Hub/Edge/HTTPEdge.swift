import Hummingbird
import Outbox

/// Builds the router: health and metrics at the root, signed vendor webhooks, and the
/// bearer-authenticated API under `/v1` and `/v2` (CloudEvents).
enum HTTPEdge {
    static func router(
        config: HubConfig, writer: OutboxWriter, store: OutboxStore, metrics: HubMetrics, circuits: CircuitBoard?,
        tokens: TokenDirectory, projection: ProjectionStore, ops: OpsActionRunner, sources: SourceStatusBoard? = nil
    ) -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: EdgeMiddleware())
        HealthController(
            store: store, migrator: Migrator(client: store.client, logger: store.logger), metrics: metrics,
            destinations: config.destinations.map(\.name), feeds: config.feeds.map(\.name)
        ).register(on: router)
        let routing = MessageRouter(routes: config.routes)
        let maxBody = config.server.maxBody
        // Vendors prove themselves by signature, not bearer token: these sit outside the auth group.
        WebhooksController(writer: writer, router: routing, sources: config.sources, maxBody: maxBody).register(on: router)
        VendorCallbackController(
            store: store, vendors: config.destinations.reduce(into: [:]) { $0[$1.name] = $1.callback }, maxBody: maxBody
        ).register(on: router)
        // Search is public (or guarded by its collection's own token) and rate limited per client.
        SearchController(store: projection, collections: config.collections).register(on: router)

        let authenticator = Authenticator(tokens: config.auth.tokens, directory: tokens)
        let v1 = router.group("v1").add(middleware: AuthMiddleware(authenticator: authenticator))
        MessagesController(writer: writer, store: store, router: routing, maxBody: maxBody).register(on: v1)
        JobsController(
            writer: writer, store: store, router: routing,
            vendors: config.destinations.reduce(into: [:]) { $0[$1.name] = $1.jobMode }, maxBody: maxBody
        ).register(on: v1)
        DestinationsController(store: store, destinations: config.destinations, circuits: circuits).register(on: v1)
        SourcesController(
            webhookSources: config.sources.map(\.name), board: sources ?? IntakeServices.board(for: config)
        ).register(on: v1)
        TokensController(
            admin: TokenAdmin(store: store, reservedNames: Set(config.auth.tokens.map(\.name))), directory: tokens,
            maxBody: maxBody
        ).register(on: v1)

        let feedRunner = FeedRunner(store: store, projection: projection, logger: store.logger)
        FeedsController(feeds: config.feeds, runner: feedRunner, maxBody: maxBody).register(on: v1)

        let opsController = OpsController(runner: ops, destinations: Set(config.destinations.map(\.name)), maxBody: maxBody)
        opsController.register(on: v1.group("ops"))

        let v2 = router.group("v2").add(middleware: AuthMiddleware(authenticator: authenticator))
        EventsController(writer: writer, store: store, router: routing, maxBody: maxBody).register(on: v2)
        opsController.register(on: v2.group("ops"))  // the same actions; errors as problem details
        return router
    }
}
