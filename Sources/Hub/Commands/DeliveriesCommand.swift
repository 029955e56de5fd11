import ArgumentParser
import Foundation
import Outbox

/// `hub deliveries list [filters]`: what `GET /v1/ops/deliveries` shows, from the command line.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "Inspect deliveries.", subcommands: [List.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries matching a filter, newest first.")
        @OptionGroup var options: CommonOptions
        @OptionGroup var filter: FilterOptions

        @Option(name: .long, help: "Most deliveries to show (1 to 500).") var limit = 50
        @Option(name: .long, help: "Show those older than this delivery id (the last id of a previous page).")
        var cursor: String?
        @Flag(name: .long, help: "Print JSON (with attempts) instead of a table.") var json = false

        func run() async throws {
            let filter = try filter.filter()
            guard (1...500).contains(limit) else { throw CLIError("--limit: must be from 1 to 500") }
            let before = try cursor.map { text in
                guard let id = UUID(uuidString: text) else { throw CLIError("--cursor: '\(text)' is not a delivery id") }
                return id
            }
            let json = json, limit = limit
            try await OpsCommandSupport.withOperations(options) { _, operations in
                let listed = try await operations.store.listDeliveries(filter, limit: limit, before: before)
                if json {
                    try OpsCommandSupport.printJSON(listed.map(OpsDeliveryView.init))
                } else {
                    OpsCommandSupport.printTable(listed)
                }
            }
        }
    }
}
