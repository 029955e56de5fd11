import Foundation
import HubTestSupport
import Testing

/// `hub` parses and dispatches its subcommands by hand (main.swift installs NIO's event loops as
/// Swift's executor first): each async subcommand must still run its own `run()`, not print
/// the usage text, and help and unknown arguments answer as before.
@Suite struct CommandLineTests {
    @Test func helpListsEverySubcommand() throws {
        let help = try runHub(["--help"], quiet: false)
        #expect(help.status == 0)
        for subcommand in ["serve", "relay", "migrate", "check-config", "tokens", "deliveries", "replay", "destinations"] {
            #expect(help.output.contains(subcommand), "\(subcommand) is missing from hub --help")
        }
    }

    @Test func anUnknownSubcommandIsAUsageError() throws {
        let answer = try runHub(["frobnicate"], quiet: false)
        #expect(answer.status == 64)
        #expect(answer.error.contains("frobnicate"))
    }

    @Test func asyncSubcommandsRunThemselves() async throws {
        let database = try await TestDatabase.create()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString).yaml")
        try testConfig(database: database).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let checked = try runHub(["check-config", "--config", file.path])
        #expect(checked.status == 0 && checked.output.hasPrefix("config ok"))
        let migrated = try runHub(["migrate", "--config", file.path])
        #expect(migrated.status == 0 && migrated.output.hasPrefix("applied migrations"))
        #expect(try await database.scalar("SELECT count(*) FROM deliveries") == 0)
        let again = try runHub(["migrate", "--config", file.path])
        #expect(again.status == 0 && again.output.hasPrefix("schema is current"))
    }
}
