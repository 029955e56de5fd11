import Foundation
import HubTestSupport
import Outbox
import PostgresNIO
import Testing

@testable import Connectors
@testable import Hub

/// `kind: sftp-drop` against the real sshd: partners' files become messages exactly once.
@Suite struct FileDropTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/sftp").standardized

    /// A source polling `inbox` every 100 ms; `extra` adds or overrides keys.
    static func source(
        _ server: SFTPTestServer, inbox: String, format: String = "csv", subject: String = "/vin", extra: String = ""
    ) -> String {
        """
          partner:
            kind: sftp-drop
            host: \(server.host)
            port: \(server.port)
            user: \(server.user)
            private_key: "\(server.key)"
            host_key: "\(server.fingerprint)"
            inbox: \(inbox)
            format: \(format)
            poll: 100ms
            batch: 2
            map: { type: "inventory.vehicle.updated", subject: \(subject) }
        \(extra.isEmpty ? "" : extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    /// A partner's upload: the inbox is made over SFTP (so the login owns it), the file written on disk.
    static func drop(_ server: SFTPTestServer, _ inbox: String, _ name: String, _ contents: Data) async throws {
        try await SFTPClient(configuration: server.clientConfiguration()).makeDirectories(inbox)
        try contents.write(to: URL(fileURLWithPath: server.root + "/" + inbox + "/" + name))
    }

    static func fixture(_ name: String) throws -> Data { try Data(contentsOf: fixtures.appendingPathComponent(name)) }

    /// The messages a source stored, in the order of their records (the index in each key
    /// `<sha256>:<index>`; ids minted in one millisecond are not ordered), as JSON documents.
    static func messages(_ hub: HubUnderTest, source: String = "partner") async throws -> [JSONValue] {
        try await hub.database.withClient { client in
            var documents: [JSONValue] = []
            let rows = try await client.query(
                "SELECT json_build_object('type', type, 'subject', subject, 'data', data)::text FROM messages WHERE source = \(source) ORDER BY split_part(idempotency_key, ':', 2)::int")
            for try await text in rows.decode(String.self) { documents.append(JSONValue(parsing: text) ?? .null) }
            return documents
        }
    }

    static func withDropHub(
        _ server: SFTPTestServer, inbox: String, format: String = "csv", subject: String = "/vin", extra: String = "",
        _ body: @Sendable (HubUnderTest) async throws -> Void
    ) async throws {
        try await withHub({ database in
            testConfig(
                database: database, sources: source(server, inbox: inbox, format: format, subject: subject, extra: extra))
        }, body)
    }

    /// Each partner fixture yields exactly the canonical messages beside it in `fixtures/sftp/expected/`.
    @Test(arguments: [
        ("inventory.csv", "csv", "/vin"), ("inventory.ndjson", "ndjson", "/vin"), ("inventory.json", "json", "/vin"),
        ("inventory.xml", "{ type: xml, record: inventory/vehicle }", "/@vin"),
    ])
    func aFixtureBecomesItsCanonicalMessagesAndMovesToProcessed(_ name: String, _ format: String, _ subject: String) async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        try await Self.drop(server, inbox, name, try Self.fixture(name))
        try await Self.withDropHub(server, inbox: inbox, format: format, subject: subject) { hub in
            try await eventually("the file is moved to processed/") { server.exists("\(inbox)/processed/\(name)") }
            let expected = try #require(JSONValue(parsing: try Self.fixture("expected/\(name).json")))
            let stored = JSONValue.array(try await Self.messages(hub))
            #expect(stored == expected, "\(stored.canonicalText)")
            #expect(!server.exists("\(inbox)/\(name)"))
            #expect(server.contents("\(inbox)/processed/\(name)") == (try Self.fixture(name)))
            let sources = try await hub.get("/v1/sources").json["sources"] as? [[String: Any]] ?? []
            let partner = try #require(sources.first { $0["name"] as? String == "partner" })
            #expect(partner["kind"] as? String == "sftp-drop" && partner["last_poll_at"] != nil)
            #expect((partner["files"] as? [String: Any])?["ingested"] as? Int == 1)
            #expect((partner["counts"] as? [String: Any])?["ingested"] as? Int == 3)
        }
    }

    /// While a partner is still writing, the file keeps changing (and is younger than min_age):
    /// only the complete file is taken.
    @Test func aFileStillBeingUploadedIsTakenOnlyWhenComplete() async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        try await SFTPClient(configuration: server.clientConfiguration()).makeDirectories(inbox)
        let path = server.root + "/" + inbox + "/slow.csv"
        try await Self.withDropHub(server, inbox: inbox, extra: "min_age: 2s") { hub in
            // The upload starts once the source is polling, and grows every 100 ms.
            try Data("vin,price\n".utf8).write(to: URL(fileURLWithPath: path))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            for n in 1...12 {
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("VIN-\(n),\(n * 100)\n".utf8))
                try await Task.sleep(for: .milliseconds(100))
            }
            try handle.close()
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            try await eventually("the whole file is taken") { server.exists("\(inbox)/processed/slow.csv") }
            // Taken once, at its final size: a file taken early would have been moved with only
            // the records written by then.
            #expect(try await Self.messages(hub).count == 12)
            #expect(try await hub.database.scalar("SELECT count(*) FROM file_intakes WHERE size = \(size)") == 1)
            #expect(try await hub.database.scalar("SELECT count(*) FROM file_intakes") == 1)
        }
    }

    @Test func withADoneMarkerOnlyMarkedFilesAreTaken() async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        try await Self.drop(server, inbox, "a.csv", Data("vin\nA\n".utf8))
        try await Self.drop(server, inbox, "b.csv", Data("vin\nB\n".utf8))
        try await Self.drop(server, inbox, "b.csv.done", Data())
        try await Self.withDropHub(server, inbox: inbox, extra: "done_marker: true") { hub in
            try await eventually("b.csv is taken and its marker removed") {
                server.exists("\(inbox)/processed/b.csv") && !server.exists("\(inbox)/b.csv.done")
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(server.exists("\(inbox)/a.csv"))
            #expect(try await Self.messages(hub).map(\.subject) == ["B"])
        }
    }

    static let malformed = "vin,price\nA,1\nB\nC,3\n"

    @Test func rejectFileCommitsNothingAndExplainsWhy() async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        try await Self.drop(server, inbox, "bad.csv", Data(Self.malformed.utf8))
        try await Self.withDropHub(server, inbox: inbox) { hub in
            try await eventually("the file is moved to error/") { server.exists("\(inbox)/error/bad.csv") }
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 0)
            let report = String(decoding: server.contents("\(inbox)/error/bad.csv.error.txt") ?? Data(), as: UTF8.self)
            #expect(report.contains("line 3 (record 2): has 1 fields, the header has 2"), "\(report)")
            #expect(report.contains("nothing from this file was committed"), "\(report)")
            #expect(try await hub.database.scalar("SELECT count(*) FROM file_intakes WHERE status = 'rejected'") == 1)
        }
    }

    @Test func skipRecordCommitsTheGoodRecordsAndReportsTheBadOnes() async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        try await Self.drop(server, inbox, "mixed.csv", Data(Self.malformed.utf8))
        try await Self.withDropHub(server, inbox: inbox, extra: "on_error: skip-record") { hub in
            try await eventually("the file is moved to processed/") { server.exists("\(inbox)/processed/mixed.csv") }
            #expect(try await Self.messages(hub).map(\.subject) == ["A", "C"])
            let report = String(decoding: server.contents("\(inbox)/error/mixed.csv.error.txt") ?? Data(), as: UTF8.self)
            #expect(report.contains("2 records committed, 1 left out"), "\(report)")
            #expect(report.contains("line 3 (record 2)"), "\(report)")
        }
    }

    /// The crash window between commit and move, made real: the move fails (a file stands where
    /// `processed` should be) after the records committed. Once the way is clear, the next poll
    /// only moves the file: no record is stored twice.
    @Test func aFileCommittedButNotMovedIsOnlyMovedLater() async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        try await Self.drop(server, inbox, "stock.csv", try Self.fixture("inventory.csv"))
        try await Self.drop(server, inbox, "processed", Data("in the way".utf8))
        try await Self.withDropHub(server, inbox: inbox, extra: "glob: \"*.csv\"") { hub in
            try await eventually("the records are committed") {
                try await hub.database.scalar("SELECT count(*) FROM file_intakes WHERE status = 'ingested'") == 1
            }
            try await Task.sleep(for: .milliseconds(300))  // polls that find the file still there
            #expect(server.exists("\(inbox)/stock.csv"))
            try FileManager.default.removeItem(atPath: server.root + "/" + inbox + "/processed")
            try await eventually("the file is moved") { server.exists("\(inbox)/processed/stock.csv") }
            #expect(try await Self.messages(hub).count == 3)
        }
    }

    /// A run that stopped after its first batch resumes after it, and the same content dropped
    /// again under another name is only moved.
    @Test func aHalfCommittedFileResumesAndRepeatedContentIsOnlyMoved() async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        let contents = try Self.fixture("inventory.csv")
        try await Self.drop(server, inbox, "stock.csv", contents)
        let database = try await TestDatabase.create()
        // What a run killed after its first batch (of 2) leaves: the progress row, no messages
        // past record 2, and the file still in the inbox. Its first two messages are written
        // here as that run would have, through the store.
        try await withHub(database: database, { database in testConfig(database: database) }) { _ in }
        let entry = try await SFTPDropFolder(client: SFTPClient(configuration: server.clientConfiguration()), inbox: inbox)
            .list().first { $0.name == "stock.csv" }
        let file = DroppedFile(
            source: "partner", path: inbox + "/stock.csv", size: contents.count, mtime: try #require(entry).mtime,
            sha256: try FileDropIntake.sizeAndDigest(of: Self.fixtures.appendingPathComponent("inventory.csv")).1)
        try await database.withClient { client in
            let store = OutboxStore(client: client, logger: testLogger())
            let first = (0..<2).map { index in
                Submission(
                    message: CanonicalMessage(
                        source: "partner", type: "inventory.vehicle.updated", data: .object(["n": .int(Int64(index))]),
                        idempotencyKey: file.recordKey(index).key),
                    destinations: [], dedup: file.recordKey(index))
            }
            _ = try await store.accept(first, progress: FileProgress(file: file, nextRecord: 2, skipped: 0, finished: false))
        }
        try await withHub(database: database, { database in
            testConfig(database: database, sources: Self.source(server, inbox: inbox))
        }) { hub in
            try await eventually("the file is moved") { server.exists("\(inbox)/processed/stock.csv") }
            #expect(try await Self.messages(hub).map(\.subject) == [nil, nil, "WBA3A5C51DF359999"])
            try await Self.drop(server, inbox, "stock-again.csv", contents)
            try await eventually("the repeat is moved") { server.exists("\(inbox)/processed/stock-again.csv") }
            #expect(try await Self.messages(hub).count == 3)
        }
    }
}

extension JSONValue {
    fileprivate var subject: String? {
        if case .object(let object) = self, case .string(let subject)? = object["subject"] { return subject }
        return nil
    }
}

/// The hub process SIGKILLed while it is committing a dropped file: after a restart the file is
/// taken from where it stopped, moved, and every record is stored exactly once.
@Suite struct FileDropCrashTests {
    @Test func aHubKilledMidFileLosesAndDoublesNothing() async throws {
        let server = try SFTPTestServer()
        let inbox = server.freshDirectory() + "/inbox"
        let count = 4_000
        var csv = "vin,price\n"
        for n in 0..<count { csv += "VIN-\(n),\(n)\n" }
        let database = try await TestDatabase.create()
        let config = testConfig(
            database: database, sources: FileDropTests.source(server, inbox: inbox, extra: "min_age: 0s"))
        try await database.withClient { client in try await Migrator(client: client, logger: testLogger()).migrate() }
        try await FileDropTests.drop(server, inbox, "big.csv", Data(csv.utf8))

        let first = try startHubProcess(["serve", "--no-relay"], config: config)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try await eventually("some batches are committed") {
            try await database.scalar("SELECT count(*) FROM file_intakes WHERE status = 'ingesting' AND next_record > 0") == 1
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let before = try await database.scalar("SELECT count(*) FROM messages")
        #expect(before > 0 && before < count, "killed after \(before) of \(count) records")
        #expect(server.exists("\(inbox)/big.csv"))

        let second = try startHubProcess(["serve", "--no-relay"], config: config)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        try await eventually(timeout: .seconds(60), "the file is moved") { server.exists("\(inbox)/processed/big.csv") }
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        #expect(try await database.scalar("SELECT count(*) FROM messages") == count)
        #expect(try await database.scalar("SELECT count(DISTINCT idempotency_key) FROM messages") == count)
    }
}
