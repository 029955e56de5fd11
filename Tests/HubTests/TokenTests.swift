import Foundation
import HubTestSupport
import Logging
import Outbox
import Testing

@testable import Hub

/// Database tokens: made by an admin, usable at once, refused from the request after revocation,
/// and followed by every hub through NOTIFY.
@Suite struct TokenTests {
    func withTokenHub(_ body: @Sendable (HubUnderTest) async throws -> Void) async throws {
        try await withHub({ database in testConfig(database: database) }, body)
    }

    @Test func anAdminTokenMakesTokensThatWorkAtOnceAndStopAtOnce() async throws {
        try await withTokenHub { hub in
            let created = try await hub.post("/v1/tokens", #"{"name":"ci-bot","role":"ingest"}"#, token: TestTokens.admin)
            #expect(created.status == 201)
            let secret = try #require(created.json["token"] as? String)
            let id = try #require(created.json["id"] as? String)
            #expect(created.json["role"] as? String == "ingest")
            let message = #"{"type":"order.created","data":{}}"#
            #expect(try await hub.post("/v1/messages", message, token: secret).status == 202)
            #expect(try await hub.get("/v1/destinations", token: secret).status == 403)

            // Only the digest is stored.
            let stored = try await hub.database.scalar(
                "SELECT count(*) FROM api_tokens WHERE digest = sha256('\(secret)'::bytea) AND name = 'ci-bot'"
            )
            #expect(stored == 1)
            let listed = try await hub.get("/v1/tokens", token: TestTokens.admin)
            #expect(listed.status == 200 && !listed.body.contains(secret))
            #expect((listed.json["tokens"] as? [[String: Any]])?.map { $0["name"] as? String } == ["ci-bot"])

            #expect(try await hub.request(.DELETE, "/v1/tokens/\(id)", token: TestTokens.admin).status == 200)
            let refused = try await hub.post("/v1/messages", message, token: secret)
            #expect(refused.status == 401)
            #expect(try await hub.request(.DELETE, "/v1/tokens/\(id)", token: TestTokens.admin).status == 404)
        }
    }

    @Test func tokenRequestsAreCheckedFieldByField() async throws {
        try await withTokenHub { hub in
            let cases: [(String, Int, String?)] = [
                (#"{"name":"x","role":"root"}"#, 400, "role"),
                (#"{"name":"has space","role":"read"}"#, 400, "name"),
                (#"{"role":"read"}"#, 400, "name"),
                (#"{"name":"x","role":"read","extra":1}"#, 400, "extra"),
                (#"{"name":"writer","role":"read"}"#, 409, "name"),  // a config token's name
            ]
            for (body, status, field) in cases {
                let answer = try await hub.post("/v1/tokens", body, token: TestTokens.admin)
                #expect(answer.status == status, "\(body)")
                #expect(answer.error["field"] as? String == field, "\(body)")
            }
            #expect(try await hub.post("/v1/tokens", #"{"name":"twice","role":"read"}"#, token: TestTokens.admin).status == 201)
            let again = try await hub.post("/v1/tokens", #"{"name":"twice","role":"read"}"#, token: TestTokens.admin)
            #expect(again.status == 409 && again.error["code"] as? String == "name_taken")
            #expect(try await hub.post("/v1/tokens", #"{"name":"n","role":"read"}"#, token: TestTokens.writer).status == 403)
        }
    }

    /// `hub tokens` in another process: the hub learns of a new token by looking up the unknown
    /// digest, and of a revocation by the NOTIFY committed with it.
    @Test func changesFromAnotherProcessReachTheHub() async throws {
        try await withTokenHub { hub in
            let yaml = testConfig(database: hub.database)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString).yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }

            let created = try runHub(["tokens", "create", "--config", file.path, "--name", "nightly", "--role", "read"])
            #expect(created.status == 0)
            let secret = try #require(
                created.output.split(separator: "\n").first { $0.hasPrefix("secret") }?.split(separator: " ").last.map(String.init)
            )
            #expect(try await hub.get("/v1/destinations", token: secret).status == 200)

            let listed = try runHub(["tokens", "list", "--config", file.path])
            #expect(listed.status == 0 && listed.output.contains("nightly") && !listed.output.contains(secret))

            #expect(try runHub(["tokens", "revoke", "--config", file.path, "nightly"]).status == 0)
            try await eventually("the revocation's NOTIFY reaches the hub") {
                try await hub.get("/v1/destinations", token: secret).status == 401
            }
            #expect(try runHub(["tokens", "revoke", "--config", file.path, "nightly"]).status != 0)
            let bad = try runHub(["tokens", "create", "--config", file.path, "--name", "x", "--role", "root"])
            #expect(bad.status != 0 && bad.error.contains("--role"))
        }
    }

    @Test func anUnknownTokenIsRefusedWithoutStoringAnything() async throws {
        try await withTokenHub { hub in
            for _ in 0..<3 {
                let answer = try await hub.get("/v1/destinations", token: "hub_never-issued-token-000000")
                #expect(answer.status == 401)
            }
        }
    }
}

/// Runs the `hub` executable to completion and returns its exit status and output; `quiet`
/// adds `--log-level error` (which only subcommands take).
func runHub(_ arguments: [String], quiet: Bool = true) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try hubBinary())
    process.arguments = arguments + (quiet ? ["--log-level", "error"] : [])
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}
