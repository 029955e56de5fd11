import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A local HTTP receiver for `make run` and `make bench`: answers 200 to every POST, counts
/// deliveries (and distinct `webhook-id`s), and measures end-to-end latency for messages whose
/// data carries `"sent_ns": <wall-clock nanoseconds>`.
///
///   GET  /stats   {"received", "unique", "latency_ms": {"count", "p50", "p99", "max"}}
///   POST /reset   forgets everything
struct HubSink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hub-sink", abstract: "A local delivery receiver.")

    @Option(name: .long) var host = "127.0.0.1"
    @Option(name: .long) var port = 9100

    func run() async throws {
        let stats = SinkStats()
        let router = Router()
        router.get("stats") { _, _ in stats.json() }
        router.post("reset") { _, _ in
            stats.reset()
            return "{}"
        }
        router.post("**") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 16 << 20)
            stats.record(id: request.headers[webhookId], sentNanoseconds: SinkStats.sentNanoseconds(in: body))
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "hub-sink"))
        try await app.runService()
    }

    /// Parses the command line and runs the sink. Called from `main.swift`, where
    /// `parseOrExit().run()` resolves to `ParsableCommand`'s synchronous `run()` (the usage text):
    /// through `any AsyncParsableCommand` it is the async `run()` above.
    static func runAsRoot() async {
        var command: any AsyncParsableCommand = parseOrExit()
        do {
            try await command.run()
        } catch {
            exit(withError: error)
        }
    }
}
