import ArgumentParser
import Foundation
import Logging
import Outbox
import PostgresNIO

/// `hub tokens create|list|revoke`: database tokens, stored as SHA-256 digests. Running hubs
/// pick up every change through a NOTIFY sent in the change's own transaction.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print its secret (once).")
        @OptionGroup var options: CommonOptions
        @Option(name: .long, help: "A unique name among live tokens (letters, digits, . _ -).") var name: String
        @Option(name: .long, help: "ingest, read, operator or admin (admin implies every role).") var role: String

        func run() async throws {
            let config = try options.loadConfig()
            try await withTokenAdmin(config: config, logger: options.makeLogger(config)) { admin in
                do {
                    let (token, secret) = try await admin.create(name: name, role: role)
                    print("created token '\(token.name)' (role \(token.role), id \(token.id.lowercasedString))")
                    print("secret (shown only now): \(secret)")
                } catch let refusal as TokenAdmin.Refusal {
                    throw CLIError("--\(refusal.field): \(refusal.description)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let config = try options.loadConfig()
            try await withTokenAdmin(config: config, logger: options.makeLogger(config)) { admin in
                print("ID\tNAME\tROLE\tCREATED\tREVOKED")
                for token in try await admin.store.tokens() {
                    let revoked = token.revokedAt.map(Timestamp.format) ?? "-"
                    print("\(token.id.lowercasedString)\t\(token.name)\t\(token.role)\t\(Timestamp.format(token.createdAt))\t\(revoked)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a live token by name or id.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The token's name or id.") var token: String

        func run() async throws {
            let config = try options.loadConfig()
            try await withTokenAdmin(config: config, logger: options.makeLogger(config)) { admin in
                guard let revoked = try await admin.store.revokeToken(idOrName: token) else {
                    throw CLIError("no live token named or with id '\(token)'")
                }
                print("revoked token '\(revoked.name)' (\(revoked.id.lowercasedString))")
            }
        }
    }
}

/// Runs `body` with a token admin on the config's database, migrated first so the table exists.
private func withTokenAdmin(
    config: HubConfig, logger: Logger, _ body: @Sendable (TokenAdmin) async throws -> Void
) async throws {
    try await PostgresClient.withRunning(config.database.url, logger: logger) { client in
        try await Migrator(client: client, logger: logger).migrate()
        let store = OutboxStore(client: client, logger: logger)
        try await body(TokenAdmin(store: store, reservedNames: Set(config.auth.tokens.map(\.name))))
    }
}
