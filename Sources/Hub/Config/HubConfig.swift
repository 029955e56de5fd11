import Connectors
import Outbox

/// The whole configuration, validated. Every field has the default a new install would want.
struct HubConfig: Sendable {
    var server = ServerConfig()
    var database = DatabaseConfig()
    var auth = AuthConfig()
    var relay = RelaySettings()
    var destinations: [DestinationConfig] = []
    var routes: [RouteConfig] = []
    var sources: [SourceConfig] = []
    /// How bulk ops actions (redrive, resend) are paced.
    var ops = BulkSettings()
    /// How long finished rows are kept; nil: kept forever.
    var retention: RetentionPolicy?
    /// Current-state projections and their search APIs (see CollectionConfig).
    var collections: [CollectionConfig] = []
    /// Dealer feeds rendered from collections (see FeedConfig).
    var feeds: [FeedConfig] = []
    /// Sources Hub pulls from (Redis streams and pub/sub), under the same `sources:` key.
    var intakeSources: [IntakeSourceConfig] = []
    var log = LogSettings()
}

/// `log: { format, level }`: how the hub writes its log (to standard error).
struct LogSettings: Sendable {
    enum Format: String, Sendable, CaseIterable { case json, text }
    var format = Format.json
    var level = "info"
}

struct ServerConfig: Sendable {
    var host = "127.0.0.1"
    var port = 8080
    /// Largest request body accepted; larger ones get 413.
    var maxBody = 1 << 20
}

struct DatabaseConfig: Sendable {
    var url = ""
    var maxConnections = 24
    /// Ingest transactions in flight at once. Each takes every submission queued when it
    /// starts, so fewer writers commit bigger batches: on two cores 2 writers cost Postgres a
    /// quarter less CPU per message than 4 at 64 concurrent requests (docs/benchmarks.md).
    var writers = 2
    /// How long a request waits for its commit before answering 503.
    var commitTimeout: Duration = .seconds(5)
}

enum Role: String, Sendable, CaseIterable {
    case ingest, read, `operator`, admin
}

struct TokenConfig: Sendable {
    var name: String
    var token: String
    var roles: Set<Role>
}

struct AuthConfig: Sendable {
    var tokens: [TokenConfig] = []
}

struct RelaySettings: Sendable {
    var claimBatch = 100
    var pollInterval: Duration = .seconds(1)
    var lease: Duration = .seconds(60)
    var rescueInterval: Duration = .seconds(5)
}

struct DestinationConfig: Sendable {
    enum Kind: String, Sendable, CaseIterable { case http, s3, sftp, search }

    var name: String
    var kind: Kind
    var url: String
    var secret: String?
    var timeout: Duration = .seconds(5)
    var concurrency = 32
    var retry = RetryPolicy()
    var headers: [(String, String)] = []
    /// Set when this destination is a vendor that works jobs (`mode: sync | async`).
    var jobMode: JobMode?
    /// How an async vendor calls back with the result.
    var callback: CallbackConfig?
    var rate: RateLimit?
    var circuitBreaker: CircuitBreakerPolicy?
    /// Deliveries with the same subject happen strictly in message order.
    var orderedBySubject = false
    /// Where a `kind: s3` destination writes (its timeout is `timeout`, set when the connector is built).
    var s3: S3Connector.Configuration?
    /// Where a `kind: sftp` destination writes (its timeout is `timeout`, set when the connector is built).
    var sftp: SFTPConnector.Configuration?
    /// The collection a `kind: search` destination writes into.
    var collection: String?
}

struct RouteConfig: Sendable {
    var type: GlobPattern?
    var source: GlobPattern?
    var subject: GlobPattern?
    var to: [String]
}
