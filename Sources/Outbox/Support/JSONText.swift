import Foundation

/// Small JSON texts assembled from strings Hub already holds (ids, names, statuses, header
/// values), for hot paths where setting up JSONEncoder costs more than the text itself: a 202
/// body, a delivery's envelope, a webhook's kept headers. Nothing is escaped here: a string with
/// anything to escape goes through JSONEncoder, so the text is what JSONEncoder (with
/// `.withoutEscapingSlashes`) would write for it.
public enum JSONText {
    /// Shared: JSONEncoder is safe to use from several tasks.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }()

    /// Appends `value` as a JSON string literal.
    public static func appendString(_ value: String, to text: inout String) {
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            text += "\""
            text += value
            text += "\""
        } else {
            text += String(decoding: (try? encoder.encode(value)) ?? Data("\"\"".utf8), as: UTF8.self)
        }
    }

    /// Appends `"name":"value"`, preceded by a comma unless it opens its object.
    public static func appendMember(_ name: String, _ value: String, to text: inout String) {
        if text.utf8.last != UInt8(ascii: "{") { text += "," }
        appendString(name, to: &text)
        text += ":"
        appendString(value, to: &text)
    }

    /// An object of string members, its keys in code-point order.
    public static func object(_ members: [String: String]) -> String {
        var text = "{"
        for key in members.keys.sorted() { appendMember(key, members[key]!, to: &text) }
        return text + "}"
    }
}
