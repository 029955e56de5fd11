import Logging
import Outbox
import PostgresNIO

/// `hub migrate`: a client just long enough to bring the schema up to date.
enum HubMigration {
    static func run(config: HubConfig, logger: Logger) async throws -> [Int] {
        let database = try DatabaseURL(config.database.url)
        let client = PostgresClient(configuration: database.clientConfiguration(maxConnections: 4), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: [Int].self) { group in
            group.addTask {
                await client.run()
                return []
            }
            let applied = try await Migrator(client: client, logger: logger).migrate()
            group.cancelAll()
            return applied
        }
    }
}
