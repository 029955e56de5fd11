import Foundation
import HubTestSupport
import Synchronization
import Testing

@testable import Hub

/// Jobs for vendors that answer now (sync) or later by callback (async), through the real edge,
/// the real relay and Postgres, against a small local vendor server.
@Suite struct JobTests {
    static let vendorKey = "vendor-key-0123456789"

    /// The hub, known only once it runs; the vendor server needs it to call back.
    final class HubAddress: Sendable {
        private let value = Mutex<HubUnderTest?>(nil)
        func set(_ hub: HubUnderTest) { value.withLock { $0 = hub } }
        var hub: HubUnderTest? { value.withLock { $0 } }
    }

    /// A hub with two vendors on one local vendor server: `quick` (sync, at /sync) gets jobs of
    /// type job.requested, `slow` (async, at /async) gets job.slow.
    func withVendorAndHub(
        deadline: String = "10m", _ script: @escaping (HubAddress) -> TestSink.Script,
        _ body: @Sendable (HubUnderTest, TestSink) async throws -> Void
    ) async throws {
        let address = HubAddress()
        let vendor = TestSink(script: script(address))
        try await vendor.serve { vendorURL in
            try await withHub({ database in
                testConfig(
                    database: database,
                    extraDestinationYAML: """
                          quick: { kind: http, url: "\(vendorURL)/sync", mode: sync, retry: { max_attempts: 2, initial: 10ms, max: 20ms } }
                          slow:
                            kind: http
                            url: "\(vendorURL)/async"
                            mode: async
                            callback:
                              verify: { scheme: api-key, header: X-Vendor-Key, secrets: ["\(Self.vendorKey)"] }
                              job_id: /job_id
                              result: /data
                              error: /error
                              deadline: \(deadline)
                              trim: true

                        """,
                    routes: """
                          - { match: { type: job.requested }, to: [quick] }
                          - { match: { type: job.slow }, to: [slow] }
                        """
                )
            }) { hub in
                address.set(hub)
                try await body(hub, vendor)
            }
        }
    }

    func createJob(_ hub: HubUnderTest, type: String? = nil, _ payload: String) async throws -> String {
        let answer = try await hub.post("/v1/jobs" + (type.map { "?type=\($0)" } ?? ""), payload)
        #expect(answer.status == 202, "\(answer.body)")
        return try #require(answer.json["request_id"] as? String)
    }

    func job(_ hub: HubUnderTest, _ id: String) async throws -> [String: Any] {
        let answer = try await hub.get("/v1/jobs/\(id)")
        #expect(answer.status == 200, "\(answer.body)")
        return answer.json
    }

    func waitForStatus(_ hub: HubUnderTest, _ id: String, _ status: String) async throws -> [String: Any] {
        try await eventually("job \(status)") { try await job(hub, id)["status"] as? String == status }
        return try await job(hub, id)
    }

    /// Calls the hub back as the slow vendor would.
    static func callBack(_ hub: HubUnderTest?, _ body: String, key: String = vendorKey) async throws -> Answer {
        let hub = try #require(hub)
        return try await hub.post("/v1/vendor-webhook/slow", body, token: nil, headers: [("X-Vendor-Key", key)])
    }

    @Test func aSyncVendorsAnswerIsTheJobsResult() async throws {
        try await withVendorAndHub({ _ in { _, _ in .init(body: #"{"score": 0.95, "data_points": 15}"#) } }) { hub, vendor in
            let id = try await createJob(hub, #"{"user_id": 12345, "query": "get_user_data"}"#)
            let done = try await waitForStatus(hub, id, "complete")
            #expect(done["result"] as? [String: Double] == ["score": 0.95, "data_points": 15])
            #expect(done["error"] == nil)
            #expect(done["created_at"] is String && done["updated_at"] is String)
            let received = try #require(vendor.received.first)
            #expect(received.path == "/sync")
            #expect(received.headers["hub-message-id"] == id)
            let event = try #require(try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any])
            #expect((event["data"] as? [String: Any])?["query"] as? String == "get_user_data")
        }
    }

    @Test func anAsyncVendorCompletesTheJobByCallback() async throws {
        try await withVendorAndHub({ address in
            { request, _ in
                let jobId = request.headers["hub-message-id"] ?? ""
                return .init(status: 202) {
                    _ = try? await Self.callBack(
                        address.hub, #"{"job_id": "\#(jobId)", "data": {"result": "  processed_data  "}}"#
                    )
                }
            }
        }) { hub, _ in
            let id = try await createJob(hub, type: "job.slow", #"{"vin": "1HGCM82633A004352"}"#)
            let done = try await waitForStatus(hub, id, "complete")
            #expect(done["result"] as? [String: String] == ["result": "processed_data"])
            let vendors = try #require(done["vendors"] as? [[String: Any]])
            #expect(vendors.count == 1 && vendors[0]["mode"] as? String == "async")
        }
    }

    @Test func anAcceptedAsyncJobIsProcessingUntilItsCallback() async throws {
        try await withVendorAndHub({ _ in { _, _ in .init(status: 202) } }) { hub, _ in
            let id = try await createJob(hub, type: "job.slow", #"{"vin": "1HGCM82633A004352"}"#)
            let processing = try await waitForStatus(hub, id, "processing")
            #expect(processing["result"] == nil)
            let vendors = try #require(processing["vendors"] as? [[String: Any]])
            #expect(vendors.first?["deadline"] is String)

            let wrongKey = try await Self.callBack(hub, #"{"job_id": "\#(id)", "data": {}}"#, key: "not-the-key-0123")
            #expect(wrongKey.status == 401)
            let noJobId = try await Self.callBack(hub, #"{"data": {}}"#)
            #expect(noJobId.status == 400 && noJobId.error["field"] as? String == "/job_id")
            let unknown = try await Self.callBack(hub, #"{"job_id": "\#(UUID().uuidString)", "data": {}}"#)
            #expect(unknown.status == 404)
            #expect(try await job(hub, id)["status"] as? String == "processing")

            let first = try await Self.callBack(hub, #"{"job_id": "\#(id)", "data": {"n": 1}}"#)
            #expect(first.status == 200 && first.json["status"] as? String == "complete")
            let retried = try await Self.callBack(hub, #"{"job_id": "\#(id)", "data": {"n": 1}}"#)
            #expect(retried.status == 200 && retried.headers.first(name: "Idempotent-Replayed") == "true")
            let different = try await Self.callBack(hub, #"{"job_id": "\#(id)", "data": {"n": 2}}"#)
            #expect(different.status == 409 && different.error["code"] as? String == "job_final")
            #expect(try await job(hub, id)["result"] as? [String: Int] == ["n": 1])
        }
    }

    @Test func anAsyncJobWithoutCallbackTimesOut() async throws {
        try await withVendorAndHub(deadline: "300ms", { _ in { _, _ in .init(status: 202) } }) { hub, _ in
            let id = try await createJob(hub, type: "job.slow", #"{"vin": "1HGCM82633A004352"}"#)
            let failed = try await waitForStatus(hub, id, "failed")
            let error = try #require(failed["error"] as? String)
            #expect(error.hasPrefix("timed out: no callback from slow by 20"), "\(error)")
            #expect(error.hasSuffix("Z"), "times read as RFC 3339: \(error)")
            let late = try await Self.callBack(hub, #"{"job_id": "\#(id)", "data": {}}"#)
            #expect(late.status == 409)
            #expect(try await job(hub, id)["status"] as? String == "failed")
        }
    }

    @Test func aVendorThatReportsAnErrorFailsTheJob() async throws {
        try await withVendorAndHub({ address in
            { request, _ in
                let jobId = request.headers["hub-message-id"] ?? ""
                return .init(status: 202) {
                    _ = try? await Self.callBack(address.hub, #"{"job_id": "\#(jobId)", "error": "vin not found"}"#)
                }
            }
        }) { hub, _ in
            let id = try await createJob(hub, type: "job.slow", #"{"vin": "0000"}"#)
            let failed = try await waitForStatus(hub, id, "failed")
            #expect(failed["error"] as? String == "vin not found")
        }
    }

    @Test func aCallbackWhoseErrorIsFalseOrEmptyCompletesTheJob() async throws {
        try await withVendorAndHub({ _ in { _, _ in .init(status: 202) } }) { hub, _ in
            let first = try await createJob(hub, type: "job.slow", #"{"vin": "1"}"#)
            let second = try await createJob(hub, type: "job.slow", #"{"vin": "2"}"#)
            _ = try await waitForStatus(hub, second, "processing")
            let falseError = try await Self.callBack(hub, #"{"job_id": "\#(first)", "error": false, "data": {"ok": true}}"#)
            #expect(falseError.json["status"] as? String == "complete", "\(falseError.body)")
            let emptyError = try await Self.callBack(hub, #"{"job_id": "\#(second)", "error": "", "data": {"ok": true}}"#)
            #expect(emptyError.json["status"] as? String == "complete", "\(emptyError.body)")
        }
    }

    @Test func aJobAndAMessageMayShareAnIdempotencyKey() async throws {
        try await withVendorAndHub({ _ in { _, _ in .init(body: "{}") } }) { hub, _ in
            let key = [("Idempotency-Key", "order-77")]
            let message = try await hub.post("/v1/messages", #"{"type": "order.created", "data": {}}"#, headers: key)
            #expect(message.status == 202)
            let job = try await hub.post("/v1/jobs", #"{"order": 77}"#, headers: key)
            #expect(job.status == 202, "\(job.body)")
            let repeated = try await hub.post("/v1/jobs", #"{"order": 77}"#, headers: key)
            #expect(repeated.status == 200 && repeated.json["request_id"] as? String == job.json["request_id"] as? String)
        }
    }

    @Test func aVendorThatRefusesTheJobFailsIt() async throws {
        try await withVendorAndHub({ _ in { _, _ in .init(status: 422) } }) { hub, _ in
            let id = try await createJob(hub, #"{"user_id": 1}"#)
            let failed = try await waitForStatus(hub, id, "failed")
            #expect((failed["error"] as? String)?.contains("HTTP 422") == true, "\(failed)")
        }
    }

    @Test func badJobRequestsAreRefusedAndStoreNothing() async throws {
        try await withVendorAndHub({ _ in { _, _ in .init() } }) { hub, vendor in
            let unrouted = try await hub.post("/v1/jobs?type=job.unknown", #"{"a": 1}"#)
            #expect(unrouted.status == 422 && unrouted.error["code"] as? String == "no_vendor")
            let notJSON = try await hub.post("/v1/jobs", "{nope")
            #expect(notJSON.status == 400)
            let reader = try await hub.post("/v1/jobs", #"{"a": 1}"#, token: TestTokens.reader)
            #expect(reader.status == 403)
            let badType = try await hub.post("/v1/jobs?type=has%20space", #"{"a": 1}"#)
            #expect(badType.status == 400 && badType.error["field"] as? String == "type")
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == 0)
            let notAJob = try await hub.post("/v1/messages", #"{"type": "order.created", "data": {}}"#)
            let messageId = try #require(notAJob.json["id"] as? String)
            #expect(try await hub.get("/v1/jobs/\(messageId)").status == 404)
            #expect(vendor.received.isEmpty)
        }
    }
}
