import Crypto
import Foundation
import HTTPTypes

/// A static key in a header (default `X-API-Key`), compared as SHA-256 digests in constant time.
struct APIKeyVerifier: WebhookVerifier {
    static let defaultHeader = HTTPField.Name("X-API-Key")!

    let header: HTTPField.Name
    private let known: [SHA256Digest]

    var secretHeaders: [HTTPField.Name] { [header] }

    init(header: HTTPField.Name = APIKeyVerifier.defaultHeader, keys: [String]) {
        self.header = header
        known = keys.map { SHA256.hash(data: Data($0.utf8)) }
    }

    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure) {
        let value = try request.singleHeader(header)
        guard CredentialDigests.matches(SHA256.hash(data: Data(value.utf8)), known) else {
            throw VerificationFailure(
                check: .invalidSignature, message: "\(header) matches none of the configured keys")
        }
    }
}
