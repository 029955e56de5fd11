import HTTPTypes
import Outbox

extension InboundRecord {
    /// Headers that carry credentials whatever the scheme; never stored.
    static let credentialHeaders: [HTTPField.Name] = [.authorization, .proxyAuthorization, .cookie]

    /// The request as it is kept for ops: every header but credentials, names lowercased,
    /// repeats joined with ", ".
    init(headers: HTTPFields, dropping secrets: [HTTPField.Name], body: String, redacted: Bool) {
        let dropped = Set((Self.credentialHeaders + secrets).map(\.canonicalName))
        var kept: [String: String] = [:]
        for field in headers where !dropped.contains(field.name.canonicalName) {
            let name = field.name.canonicalName
            kept[name] = kept[name].map { "\($0), \(field.value)" } ?? field.value
        }
        self.init(headers: kept, body: body, redacted: redacted)
    }
}
