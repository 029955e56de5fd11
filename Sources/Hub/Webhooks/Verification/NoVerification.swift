import Foundation
import HTTPTypes

/// Accepts every request. Only built from an explicit `scheme: none`, so a source without
/// verification is a decision written in the config, never a default.
struct NoVerification: WebhookVerifier {
    var secretHeaders: [HTTPField.Name] { [] }

    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure) {}
}
