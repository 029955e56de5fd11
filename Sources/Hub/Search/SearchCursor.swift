import Crypto
import Foundation
import Outbox

/// The `/v2` page position: the last hit's sort key and subject, tied to the query it came
/// from so that a cursor cannot be replayed against other filters. Opaque to clients
/// (base64url); its layout may change.
struct SearchCursor: Equatable {
    var key: Double
    var subject: String

    /// `fingerprint|key|subject`, base64url without padding.
    func encoded(for query: SearchQuery, in collection: String) -> String {
        let text = "\(Self.fingerprint(query, collection))|\(key)|\(subject)"
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Nil when `text` is not a cursor of this very query.
    init?(_ text: String, for query: SearchQuery, in collection: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 2048, let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8)
        else { return nil }
        let parts = decoded.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.fingerprint(query, collection)[...], let key = Double(parts[1]) else { return nil }
        self.init(key: key, subject: String(parts[2]))
    }

    init(key: Double, subject: String) {
        self.key = key
        self.subject = subject
    }

    /// What makes two queries the same result list: collection, text, filters, sort (not the page size).
    static func fingerprint(_ query: SearchQuery, _ collection: String) -> String {
        var text = "collection=\(collection)\nq=\(query.text ?? "")\nsort=\(query.sort)"
        for (name, filter) in query.filters.sorted(by: { $0.key < $1.key }) { text += "\n\(name)=\(filter)" }
        return SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
