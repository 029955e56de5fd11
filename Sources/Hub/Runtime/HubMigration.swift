import Logging
import Outbox
import PostgresNIO

/// `hub migrate`: a client just long enough to bring the schema up to date.
enum HubMigration {
    static func run(config: HubConfig, logger: Logger) async throws -> [Int] {
        try await PostgresClient.withRunning(config.database.url, logger: logger) { client in
            try await Migrator(client: client, logger: logger).migrate()
        }
    }
}
