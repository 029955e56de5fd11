import ArgumentParser
import Foundation
import Logging
import Outbox
import PostgresNIO

/// The delivery filter the ops commands share: the same fields as `GET /v1/ops/deliveries`.
struct FilterOptions: ParsableArguments {
    @Option(name: .long, help: "Delivery status: pending, delivering, delivered or dead.") var status: String?
    @Option(name: .long, help: "The destination the delivery goes to.") var destination: String?
    @Option(name: .long, help: "The message's type.") var type: String?
    @Option(name: .long, help: "The message's source.") var source: String?
    @Option(name: .long, help: "The message's subject.") var subject: String?
    @Option(name: .long, help: "Created at or after this RFC 3339 time.") var since: String?
    @Option(name: .long, help: "Created before this RFC 3339 time.") var until: String?

    func filter() throws -> DeliveryFilter {
        let given: [(String, String?)] = [
            ("status", status), ("destination", destination), ("type", type), ("source", source),
            ("subject", subject), ("since", since), ("until", until),
        ]
        do {
            return try DeliveryFilterInput.query(given.compactMap { name, value in value.map { (name, $0) } })
        } catch let error as APIError {
            throw CLIError("--\(error.field ?? ""): \(error.message)")
        }
    }
}

/// Runs ops commands against the config's database, as `hub migrate` does.
enum OpsCommandSupport {
    /// Who the audit log says acted: `cli:<user>`, from `$USER`, else the account running the command.
    static var actor: String {
        let user = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        return "cli:\(user)"
    }

    static func withOperations<Result: Sendable>(
        _ options: CommonOptions, _ body: @Sendable (HubConfig, Operations) async throws -> Result
    ) async throws -> Result {
        try await withStore(options) { config, store in try await body(config, Operations(store: store, bulk: config.ops)) }
    }

    /// Runs `body` with a store on the config's database, its client running for the duration.
    static func withStore<Result: Sendable>(
        _ options: CommonOptions, _ body: @Sendable (HubConfig, OutboxStore) async throws -> Result
    ) async throws -> Result {
        let config = try options.loadConfig()
        let logger = options.makeLogger(config)
        return try await PostgresClient.withRunning(config.database.url, logger: logger) { client in
            let store = OutboxStore(
                client: client, logger: logger,
                orderedDestinations: Set(config.destinations.filter(\.orderedBySubject).map(\.name))
            )
            return try await body(config, store)
        }
    }

    /// Checks that `name` is a configured destination.
    static func requireDestination(_ name: String, in config: HubConfig, option: String) throws {
        let names = config.destinations.map(\.name)
        guard names.contains(name) else {
            throw CLIError("\(option): unknown destination '\(name)' (configured: \(names.sorted().joined(separator: ", ")))")
        }
    }

    /// One line per delivery: id, status, destination, attempts, type, subject, created, last error.
    static func printTable(_ deliveries: [ListedDelivery]) {
        print(["ID", "STATUS", "DESTINATION", "ATTEMPTS", "TYPE", "SUBJECT", "CREATED", "LAST_ERROR"]
            .joined(separator: "\t"))
        for listed in deliveries {
            let delivery = listed.delivery
            print([
                delivery.id.lowercasedString, delivery.status.rawValue, delivery.destination, "\(delivery.attempts)",
                listed.type, listed.subject ?? "-", Timestamp.format(delivery.createdAt), delivery.lastError ?? "-",
            ].joined(separator: "\t"))
        }
    }

    static func printJSON(_ value: some Encodable) throws {
        print(String(decoding: try JSONBody.encoder.encode(value), as: UTF8.self))
    }
}
