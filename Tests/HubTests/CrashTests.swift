import Foundation
import HubTestSupport
import Outbox
import Testing

@testable import Hub

/// The `hub` executable, as built by `swift build` (make test builds it first).
func hubBinary() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let path = root.appendingPathComponent(".build/debug/hub").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestEnvironmentError(description: "\(path) is missing: run `swift build` first (make test does)")
    }
    return path
}

/// Starts the `hub` executable as a separate process with `config` written to a temporary file.
func startHubProcess(_ arguments: [String], config: String) throws -> Process {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString).yaml")
    try config.write(to: file, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try hubBinary())
    process.arguments = arguments + ["--config", file.path, "--log-level", "error"]
    try process.run()
    return process
}

/// `hub relay` as a separate process.
func startRelayProcess(config: String, owner: String) throws -> Process {
    try startHubProcess(["relay", "--owner", owner], config: config)
}

/// Everything routed to the sink as `crm`. The timeout is long enough that the attempt is still
/// in flight when the kill lands, even on a loaded machine; the lease just outlasts it.
func crashConfig(_ database: TestDatabase, sinkURL: String) -> String {
    testConfig(
        database: database, destinations: ["crm": "{ kind: http, url: \"\(sinkURL)/hook\", timeout: 4s }"],
        routes: "  - { match: { type: \"*\" }, to: [crm] }",
        relay: "{ poll_interval: 100ms, lease: 5s, rescue_interval: 200ms }"
    )
}

/// Runs a relay named `survivor` until `count` deliveries are delivered, then stops it with
/// SIGTERM and expects a clean exit.
func survive(config: String, database: TestDatabase, untilDelivered count: Int) async throws {
    let survivor = try startRelayProcess(config: config, owner: "survivor")
    defer { if survivor.isRunning { kill(survivor.processIdentifier, SIGKILL) } }
    try await eventually("delivered by the survivor") {
        try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == count
    }
    kill(survivor.processIdentifier, SIGTERM)
    survivor.waitUntilExit()
    #expect(survivor.terminationReason == .exit && survivor.terminationStatus == 0)
}

@Suite struct CrashTests {
    @Test func aRelayKilledMidDeliveryLosesNothing() async throws {
        // The first request hangs, so the kill lands while the delivery is in flight.
        let sink = TestSink { _, index in index == 0 ? .init(delay: .seconds(3)) : .init() }
        try await sink.serve { sinkURL in
            let database = try await TestDatabase.create()
            let config = crashConfig(database, sinkURL: sinkURL)
            let messageId = try await database.withClient { client in
                let store = OutboxStore(client: client, logger: testLogger())
                try await Migrator(client: client, logger: testLogger()).migrate()
                let message = CanonicalMessage(source: "test", type: "order.created", data: .object(["n": .int(7)]))
                _ = try await store.accept([Submission(message: message, destinations: ["crm"])])
                return message.id
            }
            let first = try startRelayProcess(config: config, owner: "doomed")
            defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
            try await eventually("the first relay is delivering") { sink.received.count == 1 }
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(try await database.scalar("SELECT count(*) FROM deliveries WHERE status = 'delivering'") == 1)

            try await survive(config: config, database: database, untilDelivered: 1)

            #expect(sink.received.count == 2)
            #expect(Set(sink.received.compactMap { $0.headers["webhook-id"] }).count == 1)
            #expect(sink.received.allSatisfy { $0.body.contains(messageId.uuidString.lowercased()) })
            let lost = try await database.scalar(
                "SELECT count(*) FROM delivery_attempts WHERE attempt = 1 AND outcome = 'lost' AND relay = 'doomed'"
            )
            let delivered = try await database.scalar(
                "SELECT count(*) FROM delivery_attempts WHERE attempt = 2 AND outcome = 'delivered' AND relay = 'survivor'"
            )
            #expect(lost == 1 && delivered == 1)
        }
    }

    @Test func aServingHubKilledMidDirectDeliveryLosesNothing() async throws {
        // The first message proves the relay is up; the second's first request hangs, so the kill
        // lands while a delivery the edge handed straight to its relay is in flight.
        let sink = TestSink { _, index in index == 1 ? .init(delay: .seconds(3)) : .init() }
        try await sink.serve { sinkURL in
            let database = try await TestDatabase.create()
            let config = crashConfig(database, sinkURL: sinkURL)
                .replacingOccurrences(of: "port: 0", with: "port: \(try freePort())")
            let port = try #require(config.firstMatch(of: /port: (\d+)/)?.1)
            let hub = HubUnderTest(baseURL: "http://127.0.0.1:\(port)", database: database)
            let serving = try startHubProcess(["serve"], config: config)
            defer { if serving.isRunning { kill(serving.processIdentifier, SIGKILL) } }
            try await eventually("the hub answers") { (try? await hub.get("/health"))?.status == 200 }
            _ = try await hub.post("/v1/messages", #"{"type":"warm.up","data":{}}"#)
            try await eventually("the relay is up") { sink.received.count == 1 }

            let answer = try await hub.post("/v1/messages", #"{"type":"order.created","data":{"n":7}}"#)
            let queued = try #require((answer.json["deliveries"] as? [[String: Any]])?.first)
            #expect(queued["status"] as? String == "delivering")
            try await eventually("the delivery is in flight") { sink.received.count == 2 }
            kill(serving.processIdentifier, SIGKILL)
            serving.waitUntilExit()
            let deliveryId = try #require(queued["id"] as? String)
            #expect(try await database.scalar(
                "SELECT count(*) FROM deliveries WHERE id = '\(deliveryId)' AND status = 'delivering' AND attempts = 1"
            ) == 1)

            try await survive(config: config, database: database, untilDelivered: 2)

            let attempts = Array(sink.received.dropFirst())
            #expect(attempts.count == 2)
            #expect(attempts.allSatisfy { $0.headers["webhook-id"] == deliveryId })
            let lost = try await database.scalar(
                "SELECT count(*) FROM delivery_attempts WHERE delivery_id = '\(deliveryId)' AND attempt = 1 AND outcome = 'lost' AND relay <> 'survivor'"
            )
            let delivered = try await database.scalar(
                "SELECT count(*) FROM delivery_attempts WHERE delivery_id = '\(deliveryId)' AND attempt = 2 AND outcome = 'delivered' AND relay = 'survivor'"
            )
            #expect(lost == 1 && delivered == 1)
        }
    }
}
