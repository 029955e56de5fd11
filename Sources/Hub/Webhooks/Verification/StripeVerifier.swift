import Crypto
import Foundation
import HTTPTypes

/// Stripe's scheme: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, each `v1` an
/// HMAC-SHA256 of `{t}.{body}`. During a secret roll Stripe sends one `v1` per live secret; `v0`
/// and unknown elements are ignored, as Stripe's libraries do. The signing secret (`whsec_…`) is
/// used whole, as its UTF-8 bytes: unlike Standard Webhooks, Stripe does not base64-decode it.
struct StripeVerifier: WebhookVerifier {
    static let signatureHeader = HTTPField.Name("Stripe-Signature")!

    let keys: [PreparedHMACKey]
    let window: TimestampWindow

    var secretHeaders: [HTTPField.Name] { [] }

    init(secrets: [String], tolerance: Duration = TimestampWindow.defaultTolerance) {
        keys = secrets.map { PreparedHMACKey(.sha256, key: SymmetricKey(data: Data($0.utf8))) }
        window = TimestampWindow(tolerance: tolerance)
    }

    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure) {
        let header = try request.singleHeader(Self.signatureHeader)
        var timestampText: Substring?
        var signatures: [[UInt8]] = []
        for element in header.split(separator: ",") {
            let pair = element.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "t": timestampText = pair[1]
            // An undecodable v1 is kept as a non-match: another v1 in the list may still be valid.
            case "v1": signatures.append(Hex.decode(pair[1]) ?? [])
            default: continue
            }
        }
        guard let timestampText else {
            throw VerificationFailure(check: .malformedHeader, message: "Stripe-Signature has no t= timestamp")
        }
        guard !signatures.isEmpty else {
            throw VerificationFailure(check: .malformedHeader, message: "Stripe-Signature has no v1 signature")
        }
        let timestamp = try TimestampWindow.seconds(timestampText, header: "Stripe-Signature t=")
        let prefix = Array("\(timestampText).".utf8)
        guard HMACAlgorithm.anyValid(signatures, prefix: prefix, body: request.body, keys: keys) else {
            throw VerificationFailure(
                check: .invalidSignature, message: "Stripe-Signature matches none of the configured secrets"
            )
        }
        try window.check(timestamp, now: now, header: "Stripe-Signature t=")
    }
}
