import HTTPTypes
import Outbox

extension InboundRecord {
    /// Headers that carry credentials whatever the scheme; never stored.
    static let credentialHeaders: [HTTPField.Name] = [.authorization, .proxyAuthorization, .cookie]

    /// The lowercase names a source's raw copies leave out: credentials and its scheme's secret
    /// headers. Worked out once per source, not per request.
    static func droppedNames(secretHeaders: [HTTPField.Name]) -> Set<String> {
        Set((credentialHeaders + secretHeaders).map(\.canonicalName))
    }

    /// The request as it is kept for ops: every header but the `dropped` ones (see
    /// ``droppedNames(secretHeaders:)``), names lowercased, repeats joined with ", ".
    init(headers: HTTPFields, dropping dropped: Set<String>, body: String, redacted: Bool) {
        var kept: [String: String] = [:]
        for field in headers {
            let name = field.name.canonicalName
            guard !dropped.contains(name) else { continue }
            kept[name] = kept[name].map { "\($0), \(field.value)" } ?? field.value
        }
        self.init(headers: kept, body: body, redacted: redacted)
    }
}
