import Crypto
import Foundation

/// The secret of a token made at runtime, and the digest that is all the database keeps.
enum TokenSecret {
    /// `hub_` and 43 base64url characters: 256 bits from the system's secure generator.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "hub_" + Base64URL.encode(bytes)
    }

    static func digest(of secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }
}

/// Unpadded base64url (RFC 4648 section 5), for secrets and cursors that travel in headers and URLs.
enum Base64URL {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
