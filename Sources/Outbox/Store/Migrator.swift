import Logging
import PostgresNIO

/// Applies ``Migrations`` in order, once. Two hubs starting together serialize on an advisory
/// lock held for the migration transaction, so the second finds the work done.
public struct Migrator: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Returns the versions applied by this call (empty when the schema was current).
    @discardableResult
    public func migrate() async throws -> [Int] {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.hub_schema_migrations'))",
                    logger: logger
                )
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS hub_schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    logger: logger
                )
                var applied = Set<Int>()
                for try await version in try await connection.query(
                    "SELECT version FROM hub_schema_migrations", logger: logger
                ).decode(Int.self) {
                    applied.insert(version)
                }
                var newlyApplied: [Int] = []
                for step in Migrations.all where !applied.contains(step.version) {
                    for statement in step.sql {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO hub_schema_migrations (version, name) VALUES (\(step.version), \(step.name))",
                        logger: logger
                    )
                    logger.info("migration applied", metadata: ["hub.migration.version": "\(step.version)"])
                    newlyApplied.append(step.version)
                }
                return newlyApplied
            }
        } catch {
            throw StoreError.classify(error)
        }
    }

    /// The highest applied version, or 0 on an empty database.
    public func currentVersion() async throws -> Int {
        do {
            let rows = try await client.query(
                "SELECT coalesce(max(version), 0) FROM hub_schema_migrations",
                logger: logger
            )
            for try await version in rows.decode(Int.self) { return version }
            return 0
        } catch {
            let classified = StoreError.classify(error)
            // A database without the table yet is simply at version 0.
            if let psql = classified as? PSQLError, psql.serverInfo?[.sqlState] == "42P01" { return 0 }
            throw classified
        }
    }
}
