import ArgumentParser
import Outbox

/// `hub feeds run NAME [--force]` and `hub feeds list`.
struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds", abstract: "Run dealer feeds and see their runs.", subcommands: [Run.self, List.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a feed now and publish it unless unchanged; --force publishes past the shrink guard."
        )
        @OptionGroup var options: CommonOptions
        @Argument(help: "The feed's name (a key of feeds:).") var name: String
        @Flag(help: "Publish even if the feed lost more items than its shrink guard allows.") var force = false

        func run() async throws {
            let (name, force) = (self.name, self.force)
            let run = try await OpsCommandSupport.withStore(options) { config, store -> FeedRun? in
                guard let feed = config.feeds.first(where: { $0.name == name }) else {
                    let known = config.feeds.map(\.name).sorted().joined(separator: ", ")
                    throw CLIError("NAME: unknown feed '\(name)' (configured: \(known.isEmpty ? "none" : known))")
                }
                let projection = ProjectionStore(client: store.client, logger: store.logger)
                let runner = FeedRunner(store: store, projection: projection, logger: store.logger)
                return try await runner.run(feed, trigger: .manual, force: force, requestedBy: OpsCommandSupport.actor)
            }
            guard let run else { throw CLIError("feed '\(name)' is running in another hub; try again shortly") }
            print("\(run.feed): \(run.status.rawValue), \(run.items) items, \(run.bytes) bytes in \(run.durationMs) ms"
                + (run.fileName.map { " (\($0))" } ?? "") + (run.detail.map { "\n\($0)" } ?? ""))
            if run.status == .refused { throw ExitCode(3) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each feed's state, next run and latest runs, as JSON.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let views = try await OpsCommandSupport.withStore(options) { config, store in
                try await FeedView.all(config.feeds, store: store)
            }
            try OpsCommandSupport.printJSON(["feeds": views])
        }
    }
}
