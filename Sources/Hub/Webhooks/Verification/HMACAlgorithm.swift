import Crypto
import Foundation

/// The hash behind an HMAC scheme. Comparison is swift-crypto's constant-time MAC equality.
enum HMACAlgorithm: String, CaseIterable, Sendable {
    case sha1, sha256, sha512

    func isValid(_ presented: [UInt8], for content: [UInt8], key: SymmetricKey) -> Bool {
        switch self {
        case .sha1: HMAC<Insecure.SHA1>.isValidAuthenticationCode(presented, authenticating: content, using: key)
        case .sha256: HMAC<SHA256>.isValidAuthenticationCode(presented, authenticating: content, using: key)
        case .sha512: HMAC<SHA512>.isValidAuthenticationCode(presented, authenticating: content, using: key)
        }
    }

    /// True when any presented code is valid under any live key. Every pair is tried, even after a
    /// match, so timing does not tell which secret (old or new) or which signature matched.
    func anyValid(_ presented: [[UInt8]], for content: [UInt8], keys: [SymmetricKey]) -> Bool {
        var matched = false
        for key in keys {
            for code in presented {
                let valid = isValid(code, for: content, key: key)
                matched = matched || valid
            }
        }
        return matched
    }
}
