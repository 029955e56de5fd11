import Crypto
import Foundation

/// The hash behind an HMAC scheme. Comparison is swift-crypto's constant-time MAC equality.
enum HMACAlgorithm: String, CaseIterable, Sendable {
    case sha1, sha256, sha512

    /// True when any presented code is valid under any live key for `prefix` followed by `body`.
    /// Every pair is tried, even after a match, so timing does not tell which secret (old or new)
    /// or which signature matched.
    static func anyValid(_ presented: [[UInt8]], prefix: [UInt8] = [], body: [UInt8], keys: [PreparedHMACKey]) -> Bool {
        var matched = false
        for key in keys {
            let valid = key.matchesAny(presented, prefix: prefix, body: body)
            matched = matched || valid
        }
        return matched
    }
}

/// An HMAC key whose inner and outer pads are hashed once, when the config loads: a request
/// copies this state instead of deriving it from the key again (half the cost of a 1 KB MAC).
struct PreparedHMACKey: Sendable {
    private enum State: Sendable {
        case sha1(HMAC<Insecure.SHA1>)
        case sha256(HMAC<SHA256>)
        case sha512(HMAC<SHA512>)
    }

    private let state: State

    init(_ algorithm: HMACAlgorithm, key: SymmetricKey) {
        switch algorithm {
        case .sha1: state = .sha1(HMAC(key: key))
        case .sha256: state = .sha256(HMAC(key: key))
        case .sha512: state = .sha512(HMAC(key: key))
        }
    }

    /// Whether any presented code is the MAC of `prefix` then `body` (fed in two parts, never
    /// copied into one buffer). Every candidate is compared, in constant time.
    func matchesAny(_ presented: [[UInt8]], prefix: [UInt8], body: [UInt8]) -> Bool {
        func check<H>(_ mac: HMAC<H>) -> Bool {
            var mac = mac
            mac.update(data: prefix)
            mac.update(data: body)
            let code = mac.finalize()
            var matched = false
            for candidate in presented {
                let valid = code == candidate
                matched = matched || valid
            }
            return matched
        }
        switch state {
        case .sha1(let mac): return check(mac)
        case .sha256(let mac): return check(mac)
        case .sha512(let mac): return check(mac)
        }
    }
}
