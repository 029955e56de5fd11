import Foundation
import HubTestSupport
import Outbox
import Synchronization
import Testing

@testable import Connectors
@testable import Hub

/// The sftp destination end to end: the real edge, Postgres and OpenSSH's sshd on loopback.
@Suite struct SFTPTests {
    func destinationYAML(
        _ server: SFTPTestServer, directory: String, file: String = "{subject}/{id}.json", hostKey: String? = nil,
        retry: String = "{ max_attempts: 3, initial: 100ms }"
    ) -> String {
        """
          partner:
            kind: sftp
            host: \(server.host)
            port: \(server.port)
            user: \(server.user)
            private_key: "\(server.key)"
            host_key: "\(hostKey ?? server.fingerprint)"
            directory: \(directory)/inbound
            file: "\(file)"
            pool_size: 2
            timeout: 5s
            retry: \(retry)

        """
    }

    func withSFTPHub(
        hostKey: String? = nil, retry: String = "{ max_attempts: 3, initial: 100ms }",
        _ body: @Sendable (HubUnderTest, SFTPTestServer, String) async throws -> Void
    ) async throws {
        let server = try SFTPTestServer()
        let directory = server.freshDirectory()
        try await withHub({ database in
            testConfig(
                database: database,
                extraDestinationYAML: destinationYAML(server, directory: directory, hostKey: hostKey, retry: retry),
                routes: "  - { match: { type: \"*\" }, to: [partner] }")
        }) { hub in try await body(hub, server, directory) }
    }

    func post(_ hub: HubUnderTest, _ body: String) async throws -> String {
        let answer = try await hub.post("/v1/messages", body)
        #expect(answer.status == 202)
        return try #require(answer.json["id"] as? String)
    }

    func waitFor(_ status: String, _ hub: HubUnderTest, _ id: String) async throws -> [String: Any] {
        try await eventually(status) { try await hub.deliveries(of: id).first?["status"] as? String == status }
        return try #require(try await hub.deliveries(of: id).first)
    }

    @Test func aMessageLandsAsAFileHoldingExactlyItsDataInDirectoriesMadeForIt() async throws {
        try await withSFTPHub { hub, server, directory in
            #expect(!server.exists(directory))
            let id = try await post(hub, #"{"type":"inventory.updated","subject":"VIN-1","data":{"price":12.5,"vin":"VIN-1","note":"ünïcode"}}"#)
            let delivery = try await waitFor("delivered", hub, id)
            let name = "VIN-1/\(id.lowercased()).json"
            #expect(server.contents("\(directory)/inbound/\(name)") == Data(#"{"note":"ünïcode","price":12.5,"vin":"VIN-1"}"#.utf8))
            #expect(server.files(under: "\(directory)/inbound") == [name], "no temporary file is left behind")
            let attempts = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(attempts.count == 1)
        }
    }

    @Test func aHostKeyThatIsNotThePinnedOneIsDeadAndWritesNothing() async throws {
        let impostor = "SHA256:" + Data(repeating: 7, count: 32).base64EncodedString().replacingOccurrences(of: "=", with: "")
        try await withSFTPHub(hostKey: impostor) { hub, server, directory in
            let id = try await post(hub, #"{"type":"inventory.updated","subject":"VIN-2","data":{}}"#)
            let delivery = try await waitFor("dead", hub, id)
            let attempts = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(attempts.count == 1, "a mismatch is not retried")
            let error = try #require(attempts.first?["error"] as? String)
            #expect(error.contains("\(server.host):\(server.port)") && error.contains(server.fingerprint), "\(error)")
            #expect(error.contains(impostor), "\(error)")
            #expect(!server.exists(directory), "nothing was written")
        }
    }

    @Test func aKnownHostsFileIsCheckedByHostPortAndKey() async throws {
        let server = try SFTPTestServer()
        let message = CanonicalMessage(source: "test", type: "t", data: .object(["n": .int(1)]))
        let directory = server.freshDirectory()
        let matching = try server.connector(directory: directory, hostKey: .knownHosts(path: server.knownHosts))
        #expect(await matching.deliver(.claimed(message)).verdict == .delivered)

        // The same host and port with another ed25519 key on record: a mismatch.
        let other = try SFTPTestServer.strangerKey()
        let otherKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ").prefix(2)
            .joined(separator: " ")
        let wrongFile = other + ".known_hosts"
        try "[\(server.host)]:\(server.port) \(otherKey)\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        let rejecting = try server.connector(directory: server.freshDirectory(), hostKey: .knownHosts(path: wrongFile))
        let outcome = await rejecting.deliver(.claimed(message))
        #expect(outcome.verdict == .permanent)
        #expect(outcome.error?.contains("does not match its entry in \(wrongFile)") == true, "\(outcome.error ?? "")")

        // Entries for other hosts only: this one is unknown.
        try "[localhost]:\(server.port) \(otherKey)\n10.9.8.7 \(otherKey)\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        let unknown = await rejecting.deliver(.claimed(message))
        #expect(unknown.verdict == .permanent && unknown.error?.contains("is not in known_hosts") == true, "\(unknown)")
    }

    @Test func aKeyTheServerDoesNotKnowIsPermanent() async throws {
        let server = try SFTPTestServer()
        let connector = SFTPConnector(configuration: .init(
            client: server.clientConfiguration(key: try SFTPTestServer.strangerKey()), directory: server.freshDirectory(),
            file: try ObjectKeyTemplate("{id}")))
        let outcome = await connector.deliver(.claimed(CanonicalMessage(source: "test", type: "t", data: .null)))
        #expect(outcome.verdict == .permanent)
        #expect(outcome.error?.contains("refused user \(server.user)") == true, "\(outcome.error ?? "")")
    }

    @Test func anUnreachableServerIsRetried() async throws {
        let server = try SFTPTestServer()
        let connector = SFTPConnector(configuration: .init(
            client: server.clientConfiguration(port: 1), directory: "x", file: try ObjectKeyTemplate("{id}")))
        let outcome = await connector.deliver(.claimed(CanonicalMessage(source: "test", type: "t", data: .null)))
        #expect(outcome.verdict == .retry(after: nil))
        #expect(outcome.error?.contains("Connection refused") == true, "\(outcome.error ?? "")")
    }

    /// A partner polling the directory during a large upload sees no file, or the whole file.
    @Test func aWatcherNeverSeesTheFinalNameWithPartOfTheFile() async throws {
        let server = try SFTPTestServer()
        let directory = server.freshDirectory()
        let connector = try server.connector(directory: directory, file: "{subject}.json")
        let big = String(repeating: "0123456789abcdef", count: 1 << 20)  // 16 MiB of JSON string, 16 MiB + 2 bytes
        let message = CanonicalMessage(source: "test", type: "t", subject: "big", data: .string(big))
        let expectedSize = message.data.utf8.count
        let watcher = DirectoryWatcher(directory: server.root + "/" + directory)
        let outcome = await connector.deliver(.claimed(message))
        let seen = await watcher.stop()
        #expect(outcome.verdict == .delivered, "\(outcome)")
        #expect(seen.temporaryNames > 0, "the watcher saw the upload in progress")
        #expect(seen.finalSizes.allSatisfy { $0 == expectedSize }, "sizes seen under the final name: \(Set(seen.finalSizes))")
        #expect(server.contents("\(directory)/big.json")?.count == expectedSize)
    }

    @Test func deliveriesResumeAfterTheServerRestartsMidRun() async throws {
        try await withSFTPHub(retry: "{ max_attempts: 50, initial: 100ms, max: 400ms }") { hub, server, directory in
            var ids: [String] = []
            for n in 0..<10 { ids.append(try await post(hub, #"{"type":"order.created","subject":"before","data":{"n":\#(n)}}"#)) }
            _ = try await waitFor("delivered", hub, ids[0])
            // Every pooled session dies with the server, and deliveries keep arriving while it is down.
            async let restarted: Void = server.restart(downFor: 2)
            try await eventually("sshd is down") { !server.isListening() }
            for n in 10..<20 { ids.append(try await post(hub, #"{"type":"order.created","subject":"after","data":{"n":\#(n)}}"#)) }
            try await restarted
            for id in ids { _ = try await waitFor("delivered", hub, id) }
            let landed = server.files(under: "\(directory)/inbound")
            #expect(landed.count == 20 && landed.allSatisfy { !$0.contains(".part") }, "\(landed)")
            var retried = 0
            for id in ids where (try await hub.deliveries(of: id).first?["attempts"] as? Int ?? 0) > 1 { retried += 1 }
            #expect(retried > 0, "some deliveries met the server down and were tried again")
        }
    }

    @Test func manyDeliveriesShareAPoolOfAtMostPoolSizeSessions() async throws {
        let server = try SFTPTestServer()
        let directory = server.freshDirectory()
        let connector = try server.connector(directory: directory, poolSize: 2)
        let verdicts = await withTaskGroup(of: DeliveryOutcome.Verdict.self) { group in
            for n in 0..<30 {
                group.addTask {
                    await connector.deliver(.claimed(CanonicalMessage(source: "test", type: "t", data: .object(["n": .int(Int64(n))]))))
                        .verdict
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(verdicts.count == 30 && verdicts.allSatisfy { $0 == .delivered })
        #expect(server.files(under: directory).count == 30)
        #expect((1...2).contains(connector.client.sessionsOpened), "\(connector.client.sessionsOpened) sessions")
    }

    @Test func aValueThatWouldLeaveTheDirectoryFailsAndWritesNothing() async throws {
        let server = try SFTPTestServer()
        let directory = server.freshDirectory()
        let connector = try server.connector(directory: directory, file: "{subject}.json")
        let outcome = await connector.deliver(.claimed(CanonicalMessage(source: "test", type: "t", subject: "../../etc", data: .null)))
        #expect(outcome.verdict == .permanent)
        #expect(outcome.error?.contains("{subject} contains '/'") == true, "\(outcome.error ?? "")")
        #expect(connector.client.sessionsOpened == 0 && !server.exists(directory))
    }

    @Test func theClientListsReadsRenamesAndRemoves() async throws {
        let server = try SFTPTestServer()
        let client = SFTPClient(configuration: server.clientConfiguration(poolSize: 1))
        let directory = server.freshDirectory() + "/drop/in"
        try await client.makeDirectories(directory)
        let bytes = Data((0..<5000).map { UInt8($0 % 251) })
        try await client.upload(bytes, to: "\(directory)/a.csv")
        try await client.upload(Data("second".utf8), to: "\(directory)/a.csv")  // replaces
        try await client.upload(bytes, to: "\(directory)/b.csv")
        let listed = try await client.list(directory).sorted { $0.name < $1.name }
        #expect(listed.map(\.name) == ["a.csv", "b.csv"])
        #expect(listed.map(\.size) == [6, 5000] && listed.allSatisfy { !$0.isDirectory })
        #expect(listed.allSatisfy { abs($0.modified.timeIntervalSinceNow) < 600 })

        var chunks: [Data] = []
        try await client.read("\(directory)/b.csv", chunkSize: 1024) { chunks.append($0) }
        #expect(chunks.count == 5 && chunks.reduce(Data(), +) == bytes)

        try await client.makeDirectories("\(directory)/done")
        try await client.rename("\(directory)/b.csv", to: "\(directory)/done/b.csv")
        await #expect(throws: SFTPError.self) { try await client.rename("\(directory)/a.csv", to: "\(directory)/done/b.csv") }
        try await client.remove("\(directory)/a.csv")
        #expect(try await client.list(directory).map(\.name) == ["done"])
        #expect(try await client.attributes(of: "\(directory)/done")?.isDirectory == true)
        #expect(try await client.attributes(of: "\(directory)/missing") == nil)
        let missing = await #expect(throws: SFTPError.self) { try await client.read("\(directory)/missing") { _ in } }
        #expect(missing?.kind == .status(SFTPError.noSuchFile))
        #expect(server.contents("\(directory)/done/b.csv") == bytes)
        #expect(client.sessionsOpened == 1)
    }
}

/// The sftp destination's config: errors name the key and line; the host key is never optional.
@Suite struct SFTPConfigTests {
    func parse(_ destination: String) throws -> HubConfig {
        let yaml = """
            database: { url: "postgres://hub@127.0.0.1:5432/hub" }
            destinations:
              partner:
            \(destination)
            """
        return try ConfigLoader.parse(yaml, environment: [:])
    }

    static let key = "/etc/hostname"  // any readable file: the config checks it can be read, login checks the rest
    static let fingerprint = "SHA256:W9GOX4rxp7eqmI5hfcjUmr0uNmCGITlAevorslfyKo8"

    func destination(_ extra: String, fingerprint: String? = Self.fingerprint) -> String {
        var lines = ["kind: sftp", "host: files.example", "user: hub", "private_key: \(Self.key)", "file: \"{id}.json\""]
        if let fingerprint { lines.append("host_key: \"\(fingerprint)\"") }
        return (lines + (extra.isEmpty ? [] : [extra])).map { "    " + $0 }.joined(separator: "\n")
    }

    @Test func aCompleteDestinationReadsWithItsDefaults() throws {
        let config = try parse(destination("directory: inbound/"))
        let sftp = try #require(config.destinations.first?.sftp)
        #expect(sftp.client.port == 22 && sftp.client.poolSize == 4 && sftp.content == .data)
        #expect(sftp.directory == "inbound" && sftp.client.hostKey == .fingerprint(Self.fingerprint))
    }

    @Test(arguments: [
        ("directory: a/../b", "directory", 10, "'..'"),
        ("port: 70000", "port", 10, "65535"),
        ("content: xml", "content", 10, "data or event"),
        ("known_hosts: /etc/hostname", "known_hosts", 10, "not both"),
        ("bucket: archive", "bucket", 10, "not valid for a kind: sftp"),
    ])
    func aBadValueIsRefusedNamingTheKeyAndLine(_ extra: String, _ key: String, _ line: Int, _ problem: String) throws {
        let error = try #require(throws: ConfigError.self) { try parse(destination(extra)) }
        #expect(error.key == "destinations.partner.\(key)" && error.line == line, "\(error)")
        #expect(error.message.contains(problem), "\(error)")
    }

    @Test func aFileTemplateThatCouldLeaveTheDirectoryIsRefused() throws {
        let error = try #require(throws: ConfigError.self) {
            try parse(destination("").replacingOccurrences(of: "\"{id}.json\"", with: "\"../{id}\""))
        }
        #expect(error.key == "destinations.partner.file" && error.line == 8 && error.message.contains("'..'"), "\(error)")
    }

    @Test func theHostKeyIsRequiredAndMustBeAFingerprint() throws {
        let missing = try #require(throws: ConfigError.self) { try parse(destination("", fingerprint: nil)) }
        #expect(missing.message.contains("host_key (a SHA256: fingerprint) or known_hosts is required"), "\(missing)")
        let malformed = try #require(throws: ConfigError.self) { try parse(destination("", fingerprint: "MD5:ab:cd")) }
        #expect(malformed.key == "destinations.partner.host_key" && malformed.line == 9, "\(malformed)")
    }

    @Test func anUnreadablePrivateKeyIsRefusedAtLoad() throws {
        let error = try #require(throws: ConfigError.self) {
            try parse(destination("").replacingOccurrences(of: Self.key, with: "/nonexistent/id_ed25519"))
        }
        #expect(error.key == "destinations.partner.private_key" && error.line == 7, "\(error)")
    }
}

extension ClaimedDelivery {
    static func claimed(_ message: CanonicalMessage) -> ClaimedDelivery {
        ClaimedDelivery(id: UUID(), destination: "partner", attempt: 1, createdAt: Date(), message: message)
    }
}

/// What a partner polling a directory saw.
struct WatcherSightings: Sendable {
    var temporaryNames = 0
    var finalSizes: [Int] = []
}

/// Lists a directory on disk as fast as it can, on a thread of its own (not the cooperative pool
/// the upload's task is awaiting on), until stopped.
final class DirectoryWatcher: Sendable {
    private let watching = Mutex(true)
    private let sightings: AsyncStream<WatcherSightings>

    init(directory: String) {
        let (stream, continuation) = AsyncStream<WatcherSightings>.makeStream()
        sightings = stream
        Thread.detachNewThread { [self] in
            var seen = WatcherSightings()
            while watching.withLock({ $0 }) {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                    if name.hasPrefix(".") {
                        seen.temporaryNames += 1
                    } else if let size = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int {
                        seen.finalSizes.append(size)
                    }
                }
            }
            continuation.yield(seen)
            continuation.finish()
        }
    }

    func stop() async -> WatcherSightings {
        watching.withLock { $0 = false }
        for await seen in sightings { return seen }
        return WatcherSightings()
    }
}
