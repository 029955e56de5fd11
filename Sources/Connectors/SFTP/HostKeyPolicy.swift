import CLibSSH2
import Crypto
import Foundation

/// How a server proves it is the one meant: its host key is checked before Hub authenticates or
/// writes anything, and anything else than a match refuses the connection.
public enum HostKeyPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The SHA-256 fingerprint as `ssh-keygen -lf` prints it: `SHA256:` and unpadded base64.
    case fingerprint(String)
    /// An OpenSSH known_hosts file (plain or hashed host names, `[host]:port` for other ports).
    case knownHosts(path: String)

    public var description: String {
        switch self {
        case .fingerprint(let value): return "host_key \(value)"
        case .knownHosts(let path): return "known_hosts \(path)"
        }
    }

    /// Whether `text` has the shape of an OpenSSH SHA-256 fingerprint (32 bytes, unpadded base64).
    public static func isFingerprint(_ text: String) -> Bool {
        guard text.hasPrefix("SHA256:") else { return false }
        let encoded = String(text.dropFirst("SHA256:".count))
        guard encoded.count == 43, let bytes = Data(base64Encoded: encoded + "=") else { return false }
        return bytes.count == 32
    }

    /// `SHA256:` and the unpadded base64 of the key blob's digest, as OpenSSH prints it.
    static func fingerprint(of key: Data) -> String {
        let encoded = Data(SHA256.hash(data: key)).base64EncodedString()
        return "SHA256:" + encoded.replacingOccurrences(of: "=", with: "")
    }

    /// Checks the key `session` received from `host:port`; throws `.hostKeyRejected` naming both.
    func verify(session: OpaquePointer, host: String, port: Int) throws {
        var length = 0
        var type: Int32 = 0
        guard let raw = libssh2_session_hostkey(session, &length, &type), length > 0 else {
            throw SFTPError(.transport, "\(host):\(port) sent no host key")
        }
        let key = Data(bytes: raw, count: length)
        let presented = Self.fingerprint(of: key)
        switch self {
        case .fingerprint(let expected):
            guard presented == expected else {
                throw SFTPError(
                    .hostKeyRejected,
                    "host key of \(host):\(port) is \(presented), not the pinned \(expected): nothing was sent")
            }
        case .knownHosts(let path):
            try Self.check(session: session, key: raw, length: length, type: type, host: host, port: port,
                           file: path, presented: presented)
        }
    }

    private static func check(
        session: OpaquePointer, key: UnsafePointer<CChar>, length: Int, type: Int32, host: String, port: Int,
        file: String, presented: String
    ) throws {
        guard let hosts = libssh2_knownhost_init(session) else {
            throw SFTPError(.transport, "could not prepare the known_hosts check")
        }
        defer { libssh2_knownhost_free(hosts) }
        guard libssh2_knownhost_readfile(hosts, file, LIBSSH2_KNOWNHOST_FILE_OPENSSH) >= 0 else {
            throw SFTPError(.hostKeyRejected, "known_hosts \(file) could not be read: nothing was sent")
        }
        let mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | knownHostKeyType(type)
        var entry: UnsafeMutablePointer<libssh2_knownhost>?
        let result = libssh2_knownhost_checkp(hosts, host, Int32(port), key, length, mask, &entry)
        switch result {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH: return
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
            throw SFTPError(
                .hostKeyRejected,
                "host key of \(host):\(port) (\(presented)) does not match its entry in \(file): nothing was sent")
        case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
            throw SFTPError(
                .hostKeyRejected, "\(host):\(port) (\(presented)) is not in known_hosts \(file): nothing was sent")
        default:
            throw SFTPError(.hostKeyRejected, "known_hosts check of \(host):\(port) failed: nothing was sent")
        }
    }

    /// The known_hosts key-type bits for a `LIBSSH2_HOSTKEY_TYPE_*`, so entries of other types are skipped.
    private static func knownHostKeyType(_ type: Int32) -> Int32 {
        switch type {
        case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA
        case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521
        case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519
        default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN
        }
    }
}
