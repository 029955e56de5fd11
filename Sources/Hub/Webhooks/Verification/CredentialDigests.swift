import Crypto

/// Compares a presented credential with the known ones by digest. Digests make every comparison
/// the same length, and swift-crypto's digest equality is constant-time; every entry is checked
/// so the position of the matching one (the old or the new key) does not show in timing.
enum CredentialDigests {
    static func matches(_ presented: SHA256Digest, _ known: [SHA256Digest]) -> Bool {
        var matched = false
        for digest in known {
            let equal = digest == presented
            matched = matched || equal
        }
        return matched
    }
}
