import Foundation
import PostgresNIO

/// `postgres://user:password@host:port/database?search_path=schema` turned into a client configuration.
struct DatabaseURL: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var searchPath: String?

    struct Invalid: Error {}

    init(_ text: String) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty, let user = components.user
        else { throw Invalid() }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.database = path.isEmpty ? username : path
        self.searchPath = components.queryItems?.first(where: { $0.name == "search_path" })?.value
    }

    func clientConfiguration(maxConnections: Int) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable
        )
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(3)
        if let searchPath { configuration.options.additionalStartupParameters = [("search_path", searchPath)] }
        return configuration
    }
}
