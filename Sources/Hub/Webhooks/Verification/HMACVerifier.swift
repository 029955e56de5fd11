import Crypto
import Foundation
import HTTPTypes

/// A vendor's own HMAC scheme, described by configuration: which header carries the signature,
/// the hash, how the MAC is written (hex or base64, after an optional prefix such as `sha256=`),
/// and whether the MAC covers the body alone or `{timestamp}.{body}` with the timestamp in a
/// second header. Secrets are used as their UTF-8 bytes, as such vendors document.
struct HMACVerifier: WebhookVerifier {
    enum Encoding: String, CaseIterable, Sendable {
        case hex, base64
    }

    enum SignedContent: Sendable, Equatable {
        case body
        /// `{timestamp}.{body}`, the timestamp (unix seconds) read from `header`; the window applies.
        case timestampDotBody(header: HTTPField.Name, window: TimestampWindow)
    }

    let keys: [PreparedHMACKey]
    let header: HTTPField.Name
    let algorithm: HMACAlgorithm
    let encoding: Encoding
    let prefix: String
    let signed: SignedContent

    var secretHeaders: [HTTPField.Name] { [] }

    init(
        secrets: [String], header: HTTPField.Name, algorithm: HMACAlgorithm = .sha256, encoding: Encoding = .hex,
        prefix: String = "", signed: SignedContent = .body
    ) {
        self.keys = secrets.map { PreparedHMACKey(algorithm, key: SymmetricKey(data: Data($0.utf8))) }
        self.header = header
        self.algorithm = algorithm
        self.encoding = encoding
        self.prefix = prefix
        self.signed = signed
    }

    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure) {
        let value = try request.singleHeader(header)
        guard value.hasPrefix(prefix) else {
            throw VerificationFailure(check: .malformedHeader, message: "\(header) does not start with '\(prefix)'")
        }
        let encoded = value.dropFirst(prefix.count)
        let decoded: [UInt8]? =
            switch encoding {
            case .hex: Hex.decode(encoded)
            case .base64: Data(base64Encoded: String(encoded)).map(Array.init)
            }
        guard let presented = decoded, !presented.isEmpty else {
            throw VerificationFailure(
                check: .malformedHeader, message: "\(header) is not a \(encoding.rawValue) signature")
        }

        var prefix: [UInt8] = []
        var timestamp: (value: Int, header: HTTPField.Name, window: TimestampWindow)?
        if case .timestampDotBody(let timestampHeader, let window) = signed {
            let text = try request.singleHeader(timestampHeader)
            timestamp = (try TimestampWindow.seconds(text, header: timestampHeader.rawName), timestampHeader, window)
            prefix = Array("\(text).".utf8)
        }
        guard HMACAlgorithm.anyValid([presented], prefix: prefix, body: request.body, keys: keys) else {
            throw VerificationFailure(
                check: .invalidSignature, message: "\(header) matches none of the configured secrets"
            )
        }
        // After the MAC, so stale/future only ever describes a genuine request (see Standard Webhooks).
        if let timestamp {
            try timestamp.window.check(timestamp.value, now: now, header: timestamp.header.rawName)
        }
    }
}
