import ArgumentParser
import Foundation
import Logging

struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Hub: one place every integration goes through, with nothing accepted ever lost.",
        subcommands: [
            Serve.self, RelayCommand.self, Migrate.self, CheckConfig.self, TokensCommand.self,
            DeliveriesCommand.self, ReplayCommand.self, DestinationsCommand.self, FeedsCommand.self,
        ]
    )
}

extension HubCommand {
    /// Parses the command line and runs the chosen subcommand, awaiting it when it is async.
    /// `main.swift` calls this instead of `main()`: from top-level code, `HubCommand.main()`
    /// resolves to `ParsableCommand`'s synchronous `main()`, which runs an async subcommand's
    /// default synchronous `run()` (the usage text) instead of its own.
    static func runAsRoot(_ arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the YAML config (default: $HUB_CONFIG).")
    var config: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default: config log.level, info).")
    var logLevel: Logger.Level?

    func loadConfig() throws -> HubConfig {
        guard let path = config ?? ProcessInfo.processInfo.environment["HUB_CONFIG"], !path.isEmpty else {
            throw CLIError("no config: pass --config PATH or set HUB_CONFIG")
        }
        do {
            return try ConfigLoader.load(path: path)
        } catch let error as ConfigError {
            throw CLIError("\(path): \(error)")
        }
    }

    /// The process's logger, in the config's `log.format` (JSON lines by default) on standard error.
    func makeLogger(_ config: HubConfig) -> Logger {
        LogBootstrap.once(format: config.log.format)
        var logger = Logger(label: "hub")
        logger.logLevel = logLevel ?? Logger.Level(rawValue: config.log.level) ?? .info
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP edge and the relay.")
    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Run only the HTTP edge; deliveries wait for a `hub relay` elsewhere.")
    var noRelay = false

    func run() async throws {
        let config = try options.loadConfig()
        let mode: HubRuntime.Mode = noRelay ? .edgeOnly : .serve
        let logger = options.makeLogger(config)
        try await HubRuntime.run(config: config, mode: mode, logger: logger) { running in
            logger.info("hub serving", metadata: ["hub.port": "\(running.port ?? 0)"])
        }
    }
}

struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "relay", abstract: "Run only the relay.")
    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "Name this relay in leases and attempt records (default: host:pid:random).")
    var owner: String?

    func run() async throws {
        let config = try options.loadConfig()
        try await HubRuntime.run(config: config, mode: .relayOnly, logger: options.makeLogger(config), relayOwner: owner)
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and exit.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let config = try options.loadConfig()
        let logger = options.makeLogger(config)
        let versions = try await HubMigration.run(config: config, logger: logger)
        print(versions.isEmpty ? "schema is current" : "applied migrations \(versions.map(String.init).joined(separator: ", "))")
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a config file and exit.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let config = try options.loadConfig()
        print("config ok: \(config.destinations.count) destinations, \(config.routes.count) routes, \(config.sources.count) sources, \(config.auth.tokens.count) tokens")
    }
}

/// A failure the CLI reports as one line, without the usage text.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
