import Connectors
import Foundation
import HubTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The Redis the tests use: the shared loopback server `scripts/services.sh` starts
/// (HUB_TEST_REDIS_URL), or, for a test that restarts Redis, a private `redis-server` of its own.
enum TestRedis {
    static func sharedURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["HUB_TEST_REDIS_URL"], !url.isEmpty else {
            throw TestEnvironmentError(description: "HUB_TEST_REDIS_URL is not set: run the tests with `make test`")
        }
        return url
    }

    /// A connection for the test itself (to XADD, PUBLISH, inspect the group), closed after `body`.
    static func withConnection<T: Sendable>(
        _ url: String? = nil, _ body: (RedisConnection) async throws -> T
    ) async throws -> T {
        guard let endpoint = RedisEndpoint(url: try url ?? sharedURL()) else {
            throw TestEnvironmentError(description: "not a redis:// URL: \(try url ?? sharedURL())")
        }
        let connection = try await RedisConnection.connect(to: endpoint)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Names no other test uses: each test has its own streams, groups and channels.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

extension RedisConnection {
    /// XADD with the given fields; returns the entry id.
    @discardableResult
    func add(to stream: String, _ fields: [(String, String)]) async throws -> String {
        let reply = try await command(["XADD", stream, "*"] + fields.flatMap { [$0.0, $0.1] }).orThrow()
        guard let id = reply.text else { throw TestEnvironmentError(description: "XADD answered \(reply)") }
        return id
    }

    /// How many entries of `group` are pending (delivered, not acknowledged), from XPENDING's summary.
    func pendingCount(stream: String, group: String) async throws -> Int {
        let reply = try await command(["XPENDING", stream, group]).orThrow()
        return Int(reply.elements?.first?.integer ?? -1)
    }
}

/// A `redis-server` of a test's own on a free loopback port, with an append-only file fsynced on
/// every write, so that a restart keeps the stream and its consumer group as a real server would.
final class PrivateRedisServer: @unchecked Sendable {
    let port: Int
    private let directory: URL
    private var process: Process?

    var url: String { "redis://127.0.0.1:\(port)" }

    init() throws {
        port = try freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts the server and waits until it answers PING.
    func start() async throws {
        guard let binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw TestEnvironmentError(description: "redis-server not found: scripts/deps.sh installs it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--bind", "127.0.0.1", "--port", "\(port)", "--save", "", "--appendonly", "yes",
            "--appendfsync", "always", "--dir", directory.path, "--daemonize", "no",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try await eventually(timeout: .seconds(10), "redis-server on port \(port) answers") {
            (try? await TestRedis.withConnection(self.url) { try await $0.command(["PING"]) }) == .status("PONG")
        }
    }

    /// SIGKILL: a crash, not a shutdown.
    func kill() {
        guard let process else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func stop() {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }
}
