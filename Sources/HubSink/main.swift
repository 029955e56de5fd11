import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A local HTTP receiver for `make run` and `make bench`: answers 200 to every POST, counts
/// deliveries (and distinct `webhook-id`s), and measures end-to-end latency for messages whose
/// data carries `"sent_ns": <wall-clock nanoseconds>`.
///
///   GET  /stats   {"received", "unique", "latency_ms": {"count", "p50", "p99", "max"}}
///   POST /reset   forgets everything
@main
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
            stats.record(id: request.headers[HTTPField.Name("webhook-id")!], body: String(buffer: body))
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "hub-sink"))
        try await app.runService()
    }
}

final class SinkStats: Sendable {
    private struct State {
        var received = 0
        var ids = Set<String>()
        var latencies: [Double] = []
    }

    private let state = Mutex(State())

    func record(id: String?, body: String) {
        let wall = Date().timeIntervalSince1970 * 1e9
        var latency: Double?
        if let range = body.range(of: "\"sent_ns\":") {
            let digits = body[range.upperBound...].prefix { $0.isNumber }
            if let sent = Double(digits) { latency = (wall - sent) / 1e6 }
        }
        state.withLock { state in
            state.received += 1
            if let id { state.ids.insert(id) }
            if let latency { state.latencies.append(latency) }
        }
    }

    func reset() { state.withLock { $0 = State() } }

    func json() -> String {
        let (received, unique, latencies) = state.withLock { ($0.received, $0.ids.count, $0.latencies.sorted()) }
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
        }
        let ms = { (value: Double) in String(format: "%.3f", value) }
        return """
            {"received":\(received),"unique":\(unique),"latency_ms":{"count":\(latencies.count),\
            "p50":\(ms(percentile(0.5))),"p99":\(ms(percentile(0.99))),"max":\(ms(latencies.last ?? 0))}}
            """
    }
}
