import Foundation
import Hummingbird
import Logging
import Outbox

extension Request {
    /// The body as it arrived, once `verifier` has accepted it: 413 when too large, 401 naming
    /// the failed check (logged, never with the expected signature) when it is refused.
    func verifiedBody(upTo limit: Int, verifier: any WebhookVerifier, logger: Logger) async throws -> InboundRequest {
        let body = try await collectBody(upTo: limit)
        let inbound = InboundRequest(headers: headers, body: Array(body.readableBytesView))
        do {
            try verifier.verify(inbound, now: Date())
        } catch {
            logger.warning("refused: signature check failed", metadata: [
                "hub.check": "\(error.check.rawValue)", "hub.reason": "\(error.message)",
            ])
            throw APIError(status: .unauthorized, code: error.check.rawValue, message: error.message)
        }
        return inbound
    }
}

extension InboundRequest {
    /// The body parsed as JSON, or 400.
    func json() throws -> JSONValue {
        guard let document = JSONValue(parsing: Data(body)) else { throw APIError.malformed("the body is not valid JSON") }
        return document
    }
}
