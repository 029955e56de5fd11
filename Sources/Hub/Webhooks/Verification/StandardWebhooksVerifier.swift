import Crypto
import Foundation
import HTTPTypes

/// The Standard Webhooks scheme (https://www.standardwebhooks.com/): `webhook-id`,
/// `webhook-timestamp` and `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>`
/// and `v1a,<base64 ed25519>` over `{id}.{timestamp}.{body}`. Senders list one signature per live
/// key during a rotation, so any one valid signature under any configured key passes.
struct StandardWebhooksVerifier: WebhookVerifier {
    static let idHeader = HTTPField.Name("webhook-id")!
    static let timestampHeader = HTTPField.Name("webhook-timestamp")!
    static let signatureHeader = HTTPField.Name("webhook-signature")!

    /// HMAC keys for `v1`, already decoded from `whsec_<base64>`.
    let secrets: [PreparedHMACKey]
    /// ed25519 public keys for `v1a`.
    let publicKeys: [Curve25519.Signing.PublicKey]
    let window: TimestampWindow

    var secretHeaders: [HTTPField.Name] { [] }

    init(
        secrets: [SymmetricKey], publicKeys: [Curve25519.Signing.PublicKey] = [],
        tolerance: Duration = TimestampWindow.defaultTolerance
    ) {
        self.secrets = secrets.map { PreparedHMACKey(.sha256, key: $0) }
        self.publicKeys = publicKeys
        self.window = TimestampWindow(tolerance: tolerance)
    }

    /// Decodes `whsec_<base64>`, or bare base64 as the reference libraries also accept.
    static func secret(_ text: String) -> SymmetricKey? {
        let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst(6)) : text
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { return nil }
        return SymmetricKey(data: bytes)
    }

    /// Decodes `whpk_<base64>` (or bare base64) into a 32-byte ed25519 public key.
    static func publicKey(_ text: String) -> Curve25519.Signing.PublicKey? {
        let encoded = text.hasPrefix("whpk_") ? String(text.dropFirst(5)) : text
        guard let bytes = Data(base64Encoded: encoded) else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
    }

    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure) {
        let id = try request.singleHeader(Self.idHeader)
        let timestampText = try request.singleHeader(Self.timestampHeader)
        let header = try request.singleHeader(Self.signatureHeader)
        let timestamp = try TimestampWindow.seconds(timestampText, header: "webhook-timestamp")

        // Versions this receiver has no key for (v2, or v1a without public keys) are skipped, as
        // the spec's libraries do, so a sender may add new schemes without breaking receivers.
        var macs: [[UInt8]] = []
        var signatures: [Data] = []
        for entry in header.split(separator: " ") {
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "v1" where !secrets.isEmpty:
                macs.append(Data(base64Encoded: String(parts[1])).map(Array.init) ?? [])
            case "v1a" where !publicKeys.isEmpty:
                signatures.append(Data(base64Encoded: String(parts[1])) ?? Data())
            default: continue
            }
        }
        guard !macs.isEmpty || !signatures.isEmpty else {
            let wanted = [secrets.isEmpty ? nil : "v1", publicKeys.isEmpty ? nil : "v1a"].compactMap { $0 }
            throw VerificationFailure(
                check: .malformedHeader,
                message: "webhook-signature has no \(wanted.joined(separator: " or ")) signature"
            )
        }

        let prefix = Array("\(id).\(timestampText).".utf8)
        var matched = HMACAlgorithm.anyValid(macs, prefix: prefix, body: request.body, keys: secrets)
        if !publicKeys.isEmpty {
            let content = prefix + request.body  // ed25519 signs one message, not a stream
            for key in publicKeys {
                for signature in signatures where key.isValidSignature(signature, for: content) {
                    matched = true
                }
            }
        }
        guard matched else {
            throw VerificationFailure(
                check: .invalidSignature, message: "webhook-signature matches none of the configured keys"
            )
        }
        // Checked after the signature so a stale/future report always means a genuine request
        // that arrived outside the window (a replay or a skewed clock), never a forgery.
        try window.check(timestamp, now: now, header: "webhook-timestamp")
    }
}
