import Crypto
import Foundation
import HTTPTypes

/// `Authorization: Basic base64(user:password)` against configured `user:password` pairs. Only
/// SHA-256 digests of the pairs are kept and compared (digest equality is constant-time), so
/// neither timing nor a memory dump of this value gives a password away.
struct BasicAuthVerifier: WebhookVerifier {
    private let known: [SHA256Digest]

    var secretHeaders: [HTTPField.Name] { [.authorization] }

    /// `credentials` are `user:password` strings.
    init(credentials: [String]) {
        known = credentials.map { SHA256.hash(data: Data($0.utf8)) }
    }

    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure) {
        let value = try request.singleHeader(.authorization)
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic" else {
            throw VerificationFailure(check: .malformedHeader, message: "Authorization is not 'Basic <base64>'")
        }
        guard let decoded = Data(base64Encoded: String(parts[1].trimmingCharacters(in: .whitespaces))),
            decoded.contains(UInt8(ascii: ":"))
        else {
            throw VerificationFailure(
                check: .malformedHeader, message: "Authorization Basic credentials are not base64 of user:password"
            )
        }
        guard CredentialDigests.matches(SHA256.hash(data: decoded), known) else {
            throw VerificationFailure(
                check: .invalidSignature, message: "Authorization credentials match none of the configured users"
            )
        }
    }
}
