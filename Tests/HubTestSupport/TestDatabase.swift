import Foundation
import Logging
import PostgresNIO

/// Errors that mean the test environment is not what `make test` sets up. They fail the test:
/// a missing service is never a skipped test.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// A logger that is silent unless HUB_TEST_LOG_LEVEL asks for output.
public func testLogger(_ label: String = "hub-test") -> Logger {
    guard let level = ProcessInfo.processInfo.environment["HUB_TEST_LOG_LEVEL"].flatMap({ Logger.Level(rawValue: $0) }) else {
        return Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    }
    var logger = Logger(label: label)
    logger.logLevel = level
    return logger
}

/// One test's private corner of the shared test Postgres: a fresh schema, reached through a URL
/// whose `search_path` points at it. Tests never share tables, so they can run in parallel.
public struct TestDatabase: Sendable {
    public let schema: String
    /// The server URL without a schema: `postgres://user@host:port/db`.
    public let serverURL: String

    public init(schema: String, serverURL: String) {
        self.schema = schema
        self.serverURL = serverURL
    }

    /// The URL a hub under test should use.
    public var url: String { "\(serverURL)?search_path=\(schema)" }

    public static func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["HUB_TEST_DATABASE_URL"], !url.isEmpty else {
            throw TestEnvironmentError(description: "HUB_TEST_DATABASE_URL is not set: run the tests with `make test`")
        }
        return url
    }

    /// Creates a new, empty schema.
    public static func create() async throws -> TestDatabase {
        let serverURL = try serverURL()
        let schema = "t_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        let database = TestDatabase(schema: schema, serverURL: serverURL)
        try await database.withClient(searchPath: false) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
        }
        return database
    }

    /// Creates a whole database of its own, for tests that cut its connections.
    public static func createSeparateDatabase() async throws -> TestDatabase {
        let server = TestDatabase(schema: "public", serverURL: try serverURL())
        let name = "hub_" + UUID().uuidString.prefix(8).lowercased()
        try await server.withClient(searchPath: false) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        guard var components = URLComponents(string: server.serverURL) else {
            throw TestEnvironmentError(description: "HUB_TEST_DATABASE_URL is not a URL")
        }
        components.path = "/\(name)"
        return TestDatabase(schema: "public", serverURL: components.string ?? "")
    }

    /// The database name this URL points at.
    public var databaseName: String { URLComponents(string: serverURL).map { String($0.path.dropFirst()) } ?? "" }

    /// Runs `body` with a running client on this schema.
    @discardableResult
    public func withClient<Result: Sendable>(
        searchPath: Bool = true, _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: try configuration(searchPath: searchPath), backgroundLogger: testLogger())
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    public func configuration(searchPath: Bool = true) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: serverURL), let host = components.host, let user = components.user
        else { throw TestEnvironmentError(description: "HUB_TEST_DATABASE_URL is not a postgres:// URL") }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable
        )
        if searchPath { configuration.options.additionalStartupParameters = [("search_path", schema)] }
        return configuration
    }

    /// The single integer a query returns (a count, usually).
    public func scalar(_ sql: String) async throws -> Int {
        try await withClient { client in
            for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) {
                return value
            }
            throw TestEnvironmentError(description: "no row from \(sql)")
        }
    }
}
