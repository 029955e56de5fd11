import Crypto
import HTTPTypes

/// Reads a webhook source's `verify:` mapping into the verifier for its scheme, e.g.
/// `verify: { scheme: standard-webhooks, secrets: ["${CARFAX_SECRET}", "${CARFAX_SECRET_OLD:-}"] }`.
extension ConfigLoader {
    /// Each scheme's keys besides `scheme`. A key of another scheme is refused, not ignored: an
    /// ignored `tolerance` or `prefix` would silently verify something other than intended.
    static let verificationKeys: [String: Set<String>] = [
        "standard-webhooks": ["secrets", "public_keys", "tolerance"],
        "github": ["secrets"],
        "stripe": ["secrets", "tolerance"],
        "hmac": ["secrets", "header", "algorithm", "encoding", "prefix", "signed", "timestamp_header", "tolerance"],
        "basic": ["secrets"],
        "api-key": ["secrets", "header"],
        "none": [],
    ]

    static func webhookVerifier(_ node: ConfigNode) throws -> any WebhookVerifier {
        let entries = try node.mapping()
        let schemes = verificationKeys.keys.sorted().joined(separator: ", ")
        guard let schemeNode = entries.first(where: { $0.key == "scheme" })?.value else {
            throw node.error("scheme is required (one of: \(schemes))")
        }
        let scheme = try schemeNode.string()
        guard let keys = verificationKeys[scheme] else {
            throw schemeNode.error("unknown scheme '\(scheme)' (expected one of: \(schemes))")
        }
        let everyKey = verificationKeys.values.reduce(Set<String>()) { $0.union($1) }
        for (key, value) in entries where !keys.contains(key) && everyKey.contains(key) {
            let valid =
                keys.isEmpty ? "none takes no other keys" : "\(scheme) takes: \(keys.sorted().joined(separator: ", "))"
            throw value.error("not valid for scheme \(scheme) (\(valid))")
        }
        // Anything else is a typo: the loader's usual unknown-key error, on the key's own line.
        let values = Dictionary(
            try node.mapping(allowed: keys.union(["scheme"])), uniquingKeysWith: { first, _ in first })
        let secrets = try nonEmptyStrings(values["secrets"])

        switch scheme {
        case "standard-webhooks":
            return try standardWebhooks(node, secrets: secrets, values: values)
        case "github":
            return GitHubVerifier(secrets: try required(secrets, node))
        case "stripe":
            return StripeVerifier(secrets: try required(secrets, node), tolerance: try tolerance(values["tolerance"]))
        case "hmac":
            return try hmac(node, secrets: try required(secrets, node), values: values)
        case "basic":
            for (text, item) in secrets where !text.contains(":") {
                throw item.error("expected user:password")
            }
            return BasicAuthVerifier(credentials: try required(secrets, node))
        case "api-key":
            let header = try values["header"].map(headerName) ?? APIKeyVerifier.defaultHeader
            return APIKeyVerifier(header: header, keys: try required(secrets, node))
        default:
            return NoVerification()
        }
    }

    private static func standardWebhooks(
        _ node: ConfigNode, secrets: [(String, ConfigNode)], values: [String: ConfigNode]
    ) throws -> StandardWebhooksVerifier {
        let keys = try secrets.map { text, item in
            guard !text.hasPrefix("whpk_") else { throw item.error("is a whpk_ public key; list it under public_keys") }
            guard let key = StandardWebhooksVerifier.secret(text) else {
                throw item.error("not a valid Standard Webhooks secret (expected whsec_ followed by base64)")
            }
            return key
        }
        let publicKeys = try nonEmptyStrings(values["public_keys"]).map { text, item in
            guard let key = StandardWebhooksVerifier.publicKey(text) else {
                throw item.error("not a valid ed25519 public key (expected whpk_ followed by base64 of 32 bytes)")
            }
            return key
        }
        guard !keys.isEmpty || !publicKeys.isEmpty else {
            throw node.error(
                "secrets (whsec_…) or public_keys (whpk_…) is required, with at least one non-empty value"
            )
        }
        return StandardWebhooksVerifier(
            secrets: keys, publicKeys: publicKeys, tolerance: try tolerance(values["tolerance"])
        )
    }

    private static func hmac(
        _ node: ConfigNode, secrets: [String], values: [String: ConfigNode]
    ) throws -> HMACVerifier {
        guard let headerNode = values["header"] else {
            throw node.error("header is required for scheme hmac: the header that carries the signature")
        }
        let algorithm = try values["algorithm"].map { try choice($0, HMACAlgorithm.self) } ?? .sha256
        let encoding = try values["encoding"].map { try choice($0, HMACVerifier.Encoding.self) } ?? .hex
        let signedText = try values["signed"]?.string() ?? "body"
        let signed: HMACVerifier.SignedContent
        switch signedText {
        case "body":
            for key in ["timestamp_header", "tolerance"] {
                if let value = values[key] { throw value.error("applies only when signed is timestamp.body") }
            }
            signed = .body
        case "timestamp.body":
            guard let timestampHeader = values["timestamp_header"] else {
                throw node.error("timestamp_header is required when signed is timestamp.body")
            }
            signed = .timestampDotBody(
                header: try headerName(timestampHeader),
                window: TimestampWindow(tolerance: try tolerance(values["tolerance"]))
            )
        default:
            throw values["signed"]!.error("unknown value '\(signedText)' (expected one of: body, timestamp.body)")
        }
        return HMACVerifier(
            secrets: secrets, header: try headerName(headerNode), algorithm: algorithm, encoding: encoding,
            prefix: try values["prefix"]?.string() ?? "", signed: signed
        )
    }

    // MARK: Values

    /// A list (or a single value) with empty entries dropped, so an unset `${OLD:-}` rotation slot
    /// simply is not there. Each value keeps its node so an error names `secrets[1]`, never the value.
    private static func nonEmptyStrings(_ node: ConfigNode?) throws -> [(String, ConfigNode)] {
        guard let node else { return [] }
        let items = (try? node.sequence()) ?? [node]
        return try items.map { ($0, try $0.string()) }.compactMap { item, text in text.isEmpty ? nil : (text, item) }
    }

    private static func required(_ secrets: [(String, ConfigNode)], _ node: ConfigNode) throws -> [String] {
        guard !secrets.isEmpty else {
            throw node.error(
                "secrets is required, with at least one non-empty value (is its environment variable set?)")
        }
        return secrets.map(\.0)
    }

    private static func tolerance(_ node: ConfigNode?) throws -> Duration {
        guard let node else { return TimestampWindow.defaultTolerance }
        let value = try node.duration()
        guard value > .zero else { throw node.error("must be greater than 0") }
        return value
    }

    private static func headerName(_ node: ConfigNode) throws -> HTTPField.Name {
        let text = try node.string()
        guard let name = HTTPField.Name(text) else { throw node.error("'\(text)' is not a valid header name") }
        return name
    }

    private static func choice<Value: RawRepresentable & CaseIterable>(_ node: ConfigNode, _: Value.Type) throws
        -> Value where Value.RawValue == String
    {
        let text = try node.string()
        guard let value = Value(rawValue: text) else {
            let known = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw node.error("unknown value '\(text)' (expected one of: \(known))")
        }
        return value
    }
}
