import AsyncHTTPClient
import Connectors
import Foundation
import Hummingbird
import Logging
import Outbox
import PostgresNIO
import ServiceLifecycle
import UnixSignals
import Synchronization

/// The composition root: turns a validated config into running services.
///
/// The Postgres client runs first and alone until the schema is migrated; then the writer,
/// relay and HTTP server start as one ServiceGroup. On SIGTERM the group stops in reverse
/// order: the server stops taking requests, queued submissions commit, the relay drains its
/// in-flight deliveries, and only then does the database client close.
enum HubRuntime {
    /// Which parts this process runs: the HTTP edge, the relay, or both (the default).
    /// Running them apart lets delivery capacity and ingest capacity scale separately.
    struct Mode: Sendable {
        var edge = true
        var relay = true

        static let serve = Mode()
        static let relayOnly = Mode(edge: false, relay: true)
        static let edgeOnly = Mode(edge: true, relay: false)
    }

    /// What a running hub tells whoever started it.
    struct Running: Sendable {
        /// The port the HTTP edge listens on (useful when the config asked for port 0).
        var port: Int?
        var serviceGroup: ServiceGroup
    }

    static func run(
        config: HubConfig, mode: Mode, logger: Logger, relayOwner: String? = nil,
        signals: [UnixSignal] = [.sigterm, .sigint], onRunning: @escaping @Sendable (Running) async -> Void = { _ in }
    ) async throws {
        let metrics = HubMetrics.shared
        let database = try DatabaseURL(config.database.url)
        let client = PostgresClient(
            configuration: database.clientConfiguration(maxConnections: config.database.maxConnections),
            backgroundLogger: logger
        )
        let store = OutboxStore(
            client: client, logger: logger,
            orderedDestinations: Set(config.destinations.filter(\.orderedBySubject).map(\.name))
        )
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration(config))
        do {
            try await runServices(
                config: config, mode: mode, logger: logger, relayOwner: relayOwner, signals: signals, client: client,
                store: store, http: http, metrics: metrics, onRunning: onRunning
            )
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private static func runServices(
        config: HubConfig, mode: Mode, logger: Logger, relayOwner: String?, signals: [UnixSignal], client: PostgresClient,
        store: OutboxStore, http: HTTPClient, metrics: HubMetrics, onRunning: @escaping @Sendable (Running) async -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            await client.start(in: &group)
            try await migrate(Migrator(client: client, logger: logger), logger: logger)

            var relayConfiguration = RelayConfiguration(
                claimBatch: config.relay.claimBatch, pollInterval: config.relay.pollInterval, lease: config.relay.lease,
                rescueInterval: config.relay.rescueInterval
            )
            if let relayOwner { relayConfiguration.owner = relayOwner }
            let projection = ProjectionStore(client: client, logger: logger)
            let relay = Relay(
                store: store, destinations: destinations(config, http: http, store: store, projection: projection),
                configuration: relayConfiguration,
                logger: logger
            )
            var services: [any Service] = mode.relay ? [relay] : []
            if mode.relay, let retention = config.retention {
                services.append(RetentionService(store: store, policy: retention, logger: logger))
            }
            if mode.relay, !config.feeds.isEmpty {
                services.append(FeedService(feeds: config.feeds, runner: FeedRunner(store: store, projection: projection, logger: logger)))
            }
            let ops = OpsActionRunner(operations: Operations(store: store, bulk: config.ops))
            let portBox = PortBox()
            if mode.edge {
                let writer = OutboxWriter(
                    store: store, writers: config.database.writers, commitTimeout: config.database.commitTimeout,
                    dispatch: mode.relay ? relay.dispatch : nil, logger: logger
                )
                let tokens = TokenDirectory(store: store, logger: logger)
                try await tokens.reload()  // database tokens work from the first request
                // Pulled sources (Redis, SFTP drops) feed the same writer; they stop before it on shutdown.
                let sourceBoard = IntakeServices.board(for: config)
                // Dropped files are copied here while they are read (and removed after).
                let spool = FileManager.default.temporaryDirectory.appendingPathComponent("hub-spool")
                let intake = IntakeServices.services(
                    config: config, writer: writer, store: store, board: sourceBoard, spool: spool, logger: logger)
                let app = Application(
                    router: HTTPEdge.router(
                        config: config, writer: writer, store: store, metrics: metrics,
                        circuits: mode.relay ? relay.circuits : nil, tokens: tokens, projection: projection, ops: ops,
                        sources: sourceBoard
                    ),
                    configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: "hub"),
                    onServerRunning: { channel in portBox.set(channel.localAddress?.port) },
                    logger: logger
                )
                services += [tokens, writer, ops]
                services += intake
                services.append(app)
            }
            let serviceGroup = ServiceGroup(configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: signals, logger: logger
            ))
            group.addTask {
                if mode.edge { await portBox.wait() }
                await onRunning(Running(port: portBox.value, serviceGroup: serviceGroup))
            }
            try await serviceGroup.run()
            group.cancelAll()
        }
    }

    /// Migrates, waiting up to 30 s for a database that is still starting.
    private static func migrate(_ migrator: Migrator, logger: Logger) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while true {
            do {
                try await migrator.migrate()
                return
            } catch let error as StoreError where clock.now < deadline {
                logger.warning("database not reachable yet; retrying", metadata: ["hub.error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private static func destinations(
        _ config: HubConfig, http: HTTPClient, store: OutboxStore, projection: ProjectionStore
    ) -> [RelayDestination] {
        config.destinations.map { destination in
            let connector: any Connector
            switch destination.kind {
            case .http:
                connector = HTTPConnector(client: http, configuration: .init(
                    url: destination.url, timeout: destination.timeout, secret: destination.secret,
                    headers: destination.headers, keepsResponseBody: destination.jobMode == .sync
                ), files: store)
            case .s3:
                guard var s3 = destination.s3 else { preconditionFailure("the config loader sets s3 for kind: s3") }
                s3.timeout = destination.timeout
                connector = S3Connector(client: http, configuration: s3, files: store)
            case .sftp:
                guard var sftp = destination.sftp else { preconditionFailure("the config loader sets sftp for kind: sftp") }
                sftp.client.timeout = destination.timeout
                connector = SFTPConnector(configuration: sftp, files: store)
            case .search:
                guard let collection = config.collections.first(where: { $0.name == destination.collection }) else {
                    preconditionFailure("the config loader checks that a search destination's collection exists")
                }
                connector = SearchConnector(store: projection, collection: collection.projection)
            }
            return RelayDestination(
                name: destination.name, connector: connector, retry: destination.retry,
                concurrency: destination.concurrency, jobMode: destination.jobMode, rate: destination.rate,
                circuitBreaker: destination.circuitBreaker
            )
        }
    }

    private static func httpConfiguration(_ config: HubConfig) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let widest = config.destinations.map(\.concurrency).max() ?? 8
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: widest)
        // A refused connection is an attempt that failed: record it and back off, rather than
        // let the pool keep dialling until the request deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Hub bootstraps no tracer; without this every request would still open a no-op span
        // (and cast the stored tracer back from `any Sendable`).
        configuration.tracing.tracer = nil
        return configuration
    }
}

/// The listening port, known only once the server channel is bound.
private final class PortBox: Sendable {
    private let stream: AsyncStream<Int?>
    private let continuation: AsyncStream<Int?>.Continuation
    private let stored = Mutex<Int?>(nil)

    init() { (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1)) }

    var value: Int? { stored.withLock { $0 } }

    func set(_ port: Int?) {
        stored.withLock { $0 = port }
        continuation.yield(port)
    }

    func wait() async {
        for await _ in stream { return }
    }
}
