import Foundation
import HubTestSupport
import Testing

@testable import Connectors

/// The OpenSSH sshd (internal-sftp) `scripts/services.sh` starts. Logins start in `root`, which the
/// tests read directly on disk. A missing server fails the test, never skips it.
struct SFTPTestServer: Sendable {
    let host: String
    let port: Int
    let user: String
    let key: String
    let fingerprint: String
    let knownHosts: String
    let root: String
    let restartCommand: String

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        let names = [
            "HUB_TEST_SFTP_HOST", "HUB_TEST_SFTP_PORT", "HUB_TEST_SFTP_USER", "HUB_TEST_SFTP_KEY",
            "HUB_TEST_SFTP_HOST_FINGERPRINT", "HUB_TEST_SFTP_KNOWN_HOSTS", "HUB_TEST_SFTP_ROOT", "HUB_TEST_SFTP_RESTART",
        ]
        let values = names.compactMap { environment[$0].flatMap { $0.isEmpty ? nil : $0 } }
        guard values.count == names.count, let port = Int(values[1]) else {
            throw TestEnvironmentError(description: "\(names.joined(separator: "/")) are not set: run the tests with `make test`")
        }
        (host, self.port, user, key, fingerprint, knownHosts, root, restartCommand) =
            (values[0], port, values[2], values[3], values[4], values[5], values[6], values[7])
    }

    /// A directory name of its own for one test (not made: the hub makes what it needs).
    func freshDirectory() -> String { "t-\(UUID().uuidString.lowercased().prefix(12))" }

    func clientConfiguration(hostKey: HostKeyPolicy? = nil, key: String? = nil, port: Int? = nil, poolSize: Int = 4)
        -> SFTPClient.Configuration
    {
        .init(host: host, port: port ?? self.port, user: user, privateKey: key ?? self.key,
              hostKey: hostKey ?? .fingerprint(fingerprint), timeout: .seconds(10), poolSize: poolSize)
    }

    func connector(directory: String, file: String = "{id}.json", poolSize: Int = 4, hostKey: HostKeyPolicy? = nil)
        throws -> SFTPConnector
    {
        SFTPConnector(configuration: .init(
            client: clientConfiguration(hostKey: hostKey, poolSize: poolSize), directory: directory,
            file: try ObjectKeyTemplate(file)))
    }

    /// The file at `path` (relative to the login directory) as it is on disk, or nil.
    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: root + "/" + path) }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + path) }

    /// Every file under `directory`, as paths relative to it, sorted.
    func files(under directory: String) -> [String] {
        let base = root + "/" + directory
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        return walker.compactMap { $0 as? String }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }

    /// Kills sshd and every session it serves, keeps it down for `seconds`, starts it again.
    func restart(downFor seconds: Int) async throws {
        let command = "\(restartCommand) \(seconds)"
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.run("/bin/sh", ["-c", command]) })
            }
        }
    }

    /// Whether sshd accepts TCP connections right now.
    func isListening() -> Bool {
        guard let socket = try? TCPConnection.open(host: host, port: port, timeout: .seconds(1)) else { return false }
        close(socket)
        return true
    }

    /// A new ed25519 key pair the server has never heard of; returns the private key's path.
    static func strangerKey() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("id_ed25519").path
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path])
        return path
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestEnvironmentError(description: "\(executable) \(arguments) exited with \(process.terminationStatus)")
        }
    }

}
