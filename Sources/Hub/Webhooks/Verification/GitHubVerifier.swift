import Foundation
import HTTPTypes

/// GitHub's scheme: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. It carries no
/// timestamp, so a replay is only caught downstream (by the `X-GitHub-Delivery` id).
struct GitHubVerifier: WebhookVerifier {
    static let signatureHeader = HTTPField.Name("X-Hub-Signature-256")!

    private let hmac: HMACVerifier

    var secretHeaders: [HTTPField.Name] { [] }

    init(secrets: [String]) {
        hmac = HMACVerifier(secrets: secrets, header: Self.signatureHeader, prefix: "sha256=")
    }

    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure) {
        try hmac.verify(request, now: now)
    }
}
