import Crypto
import Foundation

/// Signs requests the way the Standard Webhooks spec says, so any receiver library can verify:
/// `webhook-signature: v1,<base64 HMAC-SHA256 over "id.timestamp.body">`.
public struct StandardWebhookSigner: Sendable {
    private let key: SymmetricKey

    /// `secret` in the spec's form `whsec_<base64>` is decoded; any other string is used as raw bytes.
    public init(secret: String) {
        if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) {
            key = SymmetricKey(data: decoded)
        } else {
            key = SymmetricKey(data: Data(secret.utf8))
        }
    }

    /// The `webhook-signature` header value for one request.
    public func signature(id: String, timestamp: Int, body: some DataProtocol) -> String {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Data("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }
}
