import ArgumentParser
import Outbox

/// `hub destinations pause|resume NAME`: stop or restart claiming for one destination.
struct DestinationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destinations", abstract: "Pause or resume a destination.", subcommands: [Pause.self, Resume.self]
    )

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop claiming deliveries for a destination; its backlog grows until resumed."
        )
        @OptionGroup var options: CommonOptions
        @Argument(help: "The destination's name.") var name: String

        func run() async throws { try await DestinationsCommand.set(true, name, options) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver a paused destination's backlog again.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The destination's name.") var name: String

        func run() async throws { try await DestinationsCommand.set(false, name, options) }
    }

    static func set(_ paused: Bool, _ name: String, _ options: CommonOptions) async throws {
        let changed = try await OpsCommandSupport.withOperations(options) { config, operations in
            try OpsCommandSupport.requireDestination(name, in: config, option: "NAME")
            return try await operations.setPaused(paused, destination: name, actor: OpsCommandSupport.actor)
        }
        let state = paused ? "paused" : "resumed"
        print(changed ? "\(name) \(state)" : "\(name) was already \(paused ? "paused" : "not paused")")
    }
}
