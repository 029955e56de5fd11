import Crypto
import Foundation

/// Signs requests the way each vendor does, so tests exercise Hub's verifiers the way production
/// traffic will. Every signature is computed here from a secret with swift-crypto, independently
/// of Hub's verification code; each function returns the headers to send, as (name, value) pairs.
enum WebhookSigning {
    /// HMAC hashes a generic-HMAC vendor may use.
    enum Algorithm: Sendable {
        case sha1, sha256, sha512
    }

    /// How a generic-HMAC vendor writes its MAC.
    enum Encoding: Sendable {
        case hex, base64
    }

    // MARK: Standard Webhooks

    /// `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64>` for one or more
    /// `whsec_<base64>` (or bare base64) secrets; several secrets give several signatures, as a
    /// sender does while it rotates.
    static func standardWebhooks(secrets: [String], id: String, timestamp: Int, body: String) -> [(String, String)] {
        let signatures = secrets.map { standardWebhooksSignature(secret: $0, id: id, timestamp: timestamp, body: body) }
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signatures.joined(separator: " ")),
        ]
    }

    static func standardWebhooks(secret: String, id: String, timestamp: Int, body: String) -> [(String, String)] {
        standardWebhooks(secrets: [secret], id: id, timestamp: timestamp, body: body)
    }

    /// One `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` entry.
    static func standardWebhooksSignature(secret: String, id: String, timestamp: Int, body: String) -> String {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        let key = SymmetricKey(data: Data(base64Encoded: encoded)!)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The asymmetric variant: `webhook-signature: v1a,<base64 ed25519 signature>`.
    static func standardWebhooksEd25519(
        privateKey: Curve25519.Signing.PrivateKey, id: String, timestamp: Int, body: String
    ) -> [(String, String)] {
        let signature = try! privateKey.signature(for: Data("\(id).\(timestamp).\(body)".utf8))
        return [
            ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", "v1a," + signature.base64EncodedString()),
        ]
    }

    /// A private key from the base64 32-byte seed the spec's libraries (and `secrets.json`) use.
    static func ed25519PrivateKey(seed: String) -> Curve25519.Signing.PrivateKey {
        let bytes = Data(base64Encoded: seed.hasPrefix("whsk_") ? String(seed.dropFirst(5)) : seed)!
        return try! Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
    }

    /// `whpk_<base64>` for a private key, as a receiver is given it.
    static func whpk(_ privateKey: Curve25519.Signing.PrivateKey) -> String {
        "whpk_" + privateKey.publicKey.rawRepresentation.base64EncodedString()
    }

    // MARK: Vendors

    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    static func github(secret: String, body: String) -> [(String, String)] {
        [("X-Hub-Signature-256", "sha256=" + hex(mac(.sha256, secret: secret, content: body)))]
    }

    /// `Stripe-Signature: t=<timestamp>,v1=<hex>` with one `v1` per secret (Stripe sends one per
    /// live secret while a secret is rolled). The whole `whsec_…` string is the key.
    static func stripe(secrets: [String], timestamp: Int, body: String) -> [(String, String)] {
        let signatures = secrets.map { "v1=" + hex(mac(.sha256, secret: $0, content: "\(timestamp).\(body)")) }
        return [("Stripe-Signature", (["t=\(timestamp)"] + signatures).joined(separator: ","))]
    }

    static func stripe(secret: String, timestamp: Int, body: String) -> [(String, String)] {
        stripe(secrets: [secret], timestamp: timestamp, body: body)
    }

    /// A generic HMAC vendor: the MAC of the body, or of `{timestamp}.{body}` when `timestamp`
    /// (and `timestampHeader`) are given, written after `prefix` in `header`.
    static func hmac(
        secret: String, body: String, header: String, algorithm: Algorithm = .sha256, encoding: Encoding = .hex,
        prefix: String = "", timestamp: Int? = nil, timestampHeader: String? = nil
    ) -> [(String, String)] {
        let content = timestamp.map { "\($0).\(body)" } ?? body
        let code = mac(algorithm, secret: secret, content: content)
        let text = encoding == .hex ? hex(code) : Data(code).base64EncodedString()
        var headers = [(header, prefix + text)]
        if let timestamp, let timestampHeader { headers.append((timestampHeader, String(timestamp))) }
        return headers
    }

    /// `Authorization: Basic base64(user:password)`.
    static func basic(user: String, password: String) -> [(String, String)] {
        [("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())]
    }

    static func apiKey(header: String = "X-API-Key", key: String) -> [(String, String)] {
        [(header, key)]
    }

    // MARK: Helpers

    static func mac(_ algorithm: Algorithm, secret: String, content: String) -> [UInt8] {
        let key = SymmetricKey(data: Data(secret.utf8))
        let data = Data(content.utf8)
        switch algorithm {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

extension WebhookSigning {
    /// One vendor directory under `fixtures/webhooks/`: the exact body, the non-secret headers the
    /// vendor sends, and its test-only secrets.
    struct Fixture: Sendable {
        static let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/webhooks")

        var vendor: String
        /// `body.json` byte for byte (what gets signed).
        var body: String
        var headers: [(String, String)]
        var secrets: [String: String]

        static func load(_ vendor: String) throws -> Fixture {
            let directory = root.appendingPathComponent(vendor)
            let body = try String(contentsOf: directory.appendingPathComponent("body.json"), encoding: .utf8)
            let headers = try strings(directory.appendingPathComponent("headers.json"))
            let secrets = try strings(directory.appendingPathComponent("secrets.json"))
            return Fixture(
                vendor: vendor, body: body, headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                secrets: secrets
            )
        }

        private static func strings(_ url: URL) throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
            guard let map = object as? [String: String] else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
            }
            return map
        }
    }
}
