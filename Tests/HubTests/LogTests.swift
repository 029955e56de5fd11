import Foundation
import HubTestSupport
import Logging
import Outbox
import Testing

@testable import Hub

/// The log as an operator reads it: one JSON object per line, the correlation id from ingress
/// on every delivery attempt, and no credential anywhere.
@Suite struct LogTests {
    @Test func eachRecordIsOneJSONLineWithCredentialsRedacted() throws {
        let output = LogOutput.memory()
        var logger = Logger(label: "hub.test") { JSONLogHandler(label: $0, output: output) }
        logger[metadataKey: "hub.correlation_id"] = "c-1"
        logger.info("hello \"world\"\nnext", metadata: ["hub.webhook.signature": "v1,abc", "hub.count": "\(3)"])
        let lines = output.lines
        #expect(lines.count == 1 && lines[0].hasSuffix("\n") && lines[0].dropLast().contains("\n") == false)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(record["message"] as? String == "hello \"world\"\nnext")
        #expect(record["level"] as? String == "info" && record["label"] as? String == "hub.test")
        #expect(Timestamp.parse(record["timestamp"] as? String ?? "") != nil)
        let metadata = try #require(record["metadata"] as? [String: Any])
        #expect(metadata["hub.correlation_id"] as? String == "c-1" && metadata["hub.count"] as? String == "3")
        #expect(metadata["hub.webhook.signature"] as? String == "[redacted]")
        #expect(!lines[0].contains("v1,abc"))
    }

    @Test func aRequestsCorrelationIdFollowsItsDeliveryAndNoSecretIsLogged() async throws {
        let output = LogOutput.memory()
        let logger = {
            var logger = Logger(label: "hub") { JSONLogHandler(label: $0, output: output) }
            logger.logLevel = .trace
            return logger
        }()
        let signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let apiKey = "crm-api-key-never-logged-42"
        let sink = TestSink { _, index in index == 0 ? .init(status: 503) : .init() }
        try await sink.serve { sinkURL in
            try await withHub(logger: logger, { database in
                testConfig(
                    database: database,
                    destinations: [
                        "crm": "{ kind: http, url: \"\(sinkURL)/hook\", secret: \"\(signingSecret)\", headers: { X-Api-Key: \"\(apiKey)\" }, retry: { initial: 10ms, max: 20ms } }"
                    ],
                    routes: "  - { match: { type: \"*\" }, to: [crm] }"
                )
            }) { hub in
                let token = try await hub.post("/v1/tokens", #"{"name":"logged","role":"ingest"}"#, token: TestTokens.admin)
                let secret = try #require(token.json["token"] as? String)
                let answer = try await hub.post(
                    "/v1/messages", #"{"type":"order.created","data":{}}"#, token: secret,
                    headers: [("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
                )
                #expect(answer.headers.first(name: "X-Request-Id") == "4bf92f3577b34da6a3ce929d0e0e4736")
                let id = try #require(answer.json["id"] as? String)
                try await eventually("delivered after one retry") {
                    try await hub.deliveries(of: id).first?["status"] as? String == "delivered"
                }
                _ = try await hub.post("/v1/messages", "{}", token: "hub_wrong-token-presented-here")
                try Self.check(output: output, sink: sink, credentials: [secret, signingSecret, apiKey])
            }
        }
    }

    static func check(output: LogOutput, sink: TestSink, credentials: [String]) throws {
        #expect(sink.received.allSatisfy { $0.headers["x-request-id"] == "4bf92f3577b34da6a3ce929d0e0e4736" })
        let lines = output.lines
        #expect(!lines.isEmpty)
        let records = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == lines.count, "every line is one JSON object")
        // Every delivery attempt (the failed one and the one that succeeded) carries the id.
        let attempts = records.filter {
            ($0["metadata"] as? [String: Any])?["hub.attempt"] != nil
                && ($0["metadata"] as? [String: Any])?["hub.correlation_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736"
        }
        #expect(attempts.count >= 2)
        let everything = lines.joined()
        for credential in credentials + [TestTokens.admin, TestTokens.writer, "hub_wrong-token-presented-here"] {
            #expect(!everything.contains(credential), "a credential reached the log")
        }
    }
}
