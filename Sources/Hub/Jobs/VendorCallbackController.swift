import Foundation
import Hummingbird
import Outbox

/// `POST /v1/vendor-webhook/{vendor}`: an async vendor delivers a job's result. Verified like
/// any webhook; the job id and result sit at the vendor's configured JSON pointers.
struct VendorCallbackController: Sendable {
    let store: OutboxStore
    let vendors: [String: CallbackConfig]
    let maxBody: Int

    func register(on router: Router<HubRequestContext>) {
        router.post("v1/vendor-webhook/{vendor}", use: receive)
    }

    @Sendable func receive(_ request: Request, context: HubRequestContext) async throws -> Response {
        let vendor = context.parameters.get("vendor") ?? ""
        guard let callback = vendors[vendor] else { throw APIError.notFound("no async vendor named '\(vendor)'") }
        var logger = context.logger
        logger[metadataKey: "hub.vendor"] = "\(vendor)"
        let inbound = try await request.verifiedBody(upTo: maxBody, verifier: callback.verifier, logger: logger)
        let payload = callback.cleaner.clean(try inbound.json()).cleaned
        let jobText = payload.resolve(callback.jobId)?.scalarText ?? ""
        guard let jobId = UUID(uuidString: jobText) else {
            throw APIError.invalidField(
                callback.jobId.description, "\(callback.jobId) must hold the job's request_id (got '\(jobText.prefix(64))')"
            )
        }
        // null, false and "" are how vendors say "no error".
        let reported = callback.error.flatMap { payload.resolve($0) }.flatMap {
            [.null, .bool(false), .string("")].contains($0) ? nil : $0
        }
        let result = payload.resolve(callback.result)
        guard result != nil || reported != nil else {
            throw APIError.invalidField(callback.result.description, "\(callback.result) holds no result")
        }
        let outcome = try await store.recordCallback(
            job: jobId, vendor: vendor, result: result?.canonicalText,
            error: reported.map { $0.scalarText ?? $0.canonicalText }
        )
        switch outcome {
        case .recorded(let status):
            return try JSONBody.response(status: .ok, ["id": jobId.lowercasedString, "status": status.rawValue])
        case .unknownJob:
            throw APIError.notFound("no job \(jobId.lowercasedString) was sent to \(vendor)")
        case .alreadyFinal(.complete, let stored) where stored != nil && stored == result?.canonicalText:
            // The vendor retrying a callback whose answer it lost: the same result, answered the same way.
            return try JSONBody.response(
                status: .ok, ["id": jobId.lowercasedString, "status": JobStatus.complete.rawValue],
                headers: [.idempotentReplayed: "true"]
            )
        case .alreadyFinal(let status, _):
            throw APIError(
                status: .conflict, code: "job_final",
                message: "job \(jobId.lowercasedString) is already \(status.rawValue); this callback changed nothing"
            )
        case .tooLate:
            throw APIError(
                status: .conflict, code: "job_timed_out",
                message: "job \(jobId.lowercasedString) passed its deadline before this callback; it is now failed"
            )
        }
    }
}
