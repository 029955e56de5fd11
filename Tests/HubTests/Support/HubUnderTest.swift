import AsyncHTTPClient
import Foundation
import HubTestSupport
import Logging
import NIOCore
import NIOHTTP1
import Outbox
import Testing

@testable import Hub

/// Tokens every test config carries.
enum TestTokens {
    static let writer = "writer-token-0123456789"
    static let reader = "reader-token-0123456789"
    static let admin = "admin-token-0123456789"
    static let `operator` = "operator-token-0123456789"
}

/// An answer from the hub, as a client sees it.
struct Answer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
}

/// A hub running in this process against its own schema, reached over real HTTP.
struct HubUnderTest: Sendable {
    let baseURL: String
    let database: TestDatabase

    func request(
        _ method: HTTPMethod, _ path: String, body: String? = nil, token: String? = TestTokens.writer,
        headers: [(String, String)] = [], contentType: String = "application/json"
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: collected))
    }

    func post(
        _ path: String, _ body: String, token: String? = TestTokens.writer, headers: [(String, String)] = [],
        contentType: String = "application/json"
    ) async throws -> Answer {
        try await request(.POST, path, body: body, token: token, headers: headers, contentType: contentType)
    }

    func get(_ path: String, token: String? = TestTokens.writer) async throws -> Answer {
        try await request(.GET, path, token: token)
    }

    /// The deliveries of a message as `GET /v1/messages/{id}` reports them.
    func deliveries(of id: String) async throws -> [[String: Any]] {
        try await get("/v1/messages/\(id)").json["deliveries"] as? [[String: Any]] ?? []
    }
}

/// The YAML of a test hub: port 0, its own schema, one http destination per entry of `destinations`;
/// `routes` and `sources` are YAML list and mapping entries, indented two spaces.
func testConfig(
    database: TestDatabase, destinations: [String: String] = [:], extraDestinationYAML: String = "",
    routes: String = "", sources: String = "",
    relay: String = "{ poll_interval: 100ms, lease: 30s, rescue_interval: 200ms }",
    commitTimeout: String = "5s", maxBody: String = "64KiB"
) -> String {
    var yaml = """
        server: { host: 127.0.0.1, port: 0, max_body: \(maxBody) }
        database: { url: "\(database.url)", commit_timeout: \(commitTimeout), writers: 2, max_connections: 6 }
        auth:
          tokens:
            - { name: writer, token: \(TestTokens.writer), roles: [ingest, read] }
            - { name: reader, token: \(TestTokens.reader), roles: [read] }
            - { name: admin, token: \(TestTokens.admin), roles: [admin] }
            - { name: ops, token: \(TestTokens.operator), roles: [read, operator] }
        relay: \(relay)
        destinations:

        """
    for (name, settings) in destinations.sorted(by: { $0.key < $1.key }) {
        yaml += "  \(name): \(settings)\n"
    }
    yaml += extraDestinationYAML
    if destinations.isEmpty && extraDestinationYAML.isEmpty { yaml = yaml.replacingOccurrences(of: "destinations:\n", with: "") }
    if !routes.isEmpty { yaml += "routes:\n\(routes)\n" }
    if !sources.isEmpty { yaml += "sources:\n\(sources)\n" }
    return yaml
}

/// Starts a hub from `yaml` on a fresh schema, runs `body`, then shuts the hub down gracefully.
func withHub(
    database: TestDatabase? = nil, mode: HubRuntime.Mode = .serve, logger: Logger = testLogger(),
    _ yaml: @Sendable (TestDatabase) -> String, _ body: @Sendable (HubUnderTest) async throws -> Void
) async throws {
    let database = if let database { database } else { try await TestDatabase.create() }
    let config = try ConfigLoader.parse(yaml(database), environment: [:])
    let (running, continuation) = AsyncStream<HubRuntime.Running>.makeStream()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            // Finishing the stream lets a hub that failed to start fail the test instead of hanging it.
            defer { continuation.finish() }
            try await HubRuntime.run(config: config, mode: mode, logger: logger, signals: []) { running in
                continuation.yield(running)
            }
        }
        var iterator = running.makeAsyncIterator()
        guard let hub = await iterator.next() else {
            try await group.waitForAll()  // rethrows why it did not start
            throw TestEnvironmentError(description: "hub did not start")
        }
        let underTest = HubUnderTest(baseURL: "http://127.0.0.1:\(hub.port ?? 0)", database: database)
        do {
            try await body(underTest)
        } catch {
            await hub.serviceGroup.triggerGracefulShutdown()
            throw error
        }
        await hub.serviceGroup.triggerGracefulShutdown()
        try await group.waitForAll()
    }
}

/// A hub routing every message to one http destination (`crm` by default) that is a test sink
/// answering by `script`. `settings` adds to the destination's config (retry, secret, ordering...).
func withSinkAndHub(
    destination: String = "crm", settings: String = "", _ script: @escaping TestSink.Script = { _, _ in .init() },
    _ body: @Sendable (HubUnderTest, TestSink) async throws -> Void
) async throws {
    let sink = TestSink(script: script)
    try await sink.serve { sinkURL in
        try await withHub({ database in
            testConfig(
                database: database,
                destinations: [
                    destination: "{ kind: http, url: \"\(sinkURL)/hook\"\(settings.isEmpty ? "" : ", " + settings) }"
                ],
                routes: "  - { match: { type: \"*\" }, to: [\(destination)] }"
            )
        }) { hub in try await body(hub, sink) }
    }
}
