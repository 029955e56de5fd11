import Logging
import PostgresNIO

extension PostgresClient {
    /// Starts ``run()`` in `group` and returns once it has begun: postgres-nio logs a warning for
    /// every lease made before that, which a query right after `addTask` would otherwise race.
    func start(in group: inout ThrowingTaskGroup<Void, any Error>) async {
        let (started, begin) = AsyncStream<Void>.makeStream()
        group.addTask {
            begin.finish()
            await self.run()
        }
        for await _ in started {}
    }

    /// A client on the config's database for a one-off command (`hub migrate`, `hub ops`,
    /// `hub tokens`): running while `body` runs, stopped when it returns.
    static func withRunning<Result: Sendable>(
        _ databaseURL: String, logger: Logger, _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(
            configuration: try DatabaseURL(databaseURL).clientConfiguration(maxConnections: 4), backgroundLogger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            await client.start(in: &group)
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
