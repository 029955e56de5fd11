import Foundation

/// An RFC 6901 JSON Pointer such as `/data/owner/email`: where a value sits in a document.
/// The empty pointer is the whole document.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public let tokens: [String]
    public let description: String

    /// Nil unless `text` is empty or starts with `/`.
    public init?(_ text: String) {
        guard text.isEmpty || text.hasPrefix("/") else { return nil }
        description = text
        tokens = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            // ~1 first, then ~0: "~01" means the literal "~1" (RFC 6901 section 4).
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    public static let root = JSONPointer("")!

    /// The value the pointer names, or nil when any step is missing.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = Self.index(token), index < items.count else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Removes the value the pointer names; returns whether there was one.
    public func remove(from document: inout JSONValue) -> Bool {
        guard let last = tokens.last else { return false }
        return Self.remove(last, under: tokens.dropLast()[...], in: &document)
    }

    private static func remove(_ last: String, under path: ArraySlice<String>, in value: inout JSONValue) -> Bool {
        if let token = path.first {
            switch value {
            case .object(var members):
                guard var child = members[token] else { return false }
                let removed = remove(last, under: path.dropFirst(), in: &child)
                members[token] = child
                value = .object(members)
                return removed
            case .array(var items):
                guard let index = index(token), index < items.count else { return false }
                let removed = remove(last, under: path.dropFirst(), in: &items[index])
                value = .array(items)
                return removed
            default:
                return false
            }
        }
        switch value {
        case .object(var members):
            guard members.removeValue(forKey: last) != nil else { return false }
            value = .object(members)
            return true
        case .array(var items):
            guard let index = index(last), index < items.count else { return false }
            items.remove(at: index)
            value = .array(items)
            return true
        default:
            return false
        }
    }

    /// Array indices are plain decimal numbers without leading zeros.
    private static func index(_ token: String) -> Int? {
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }), token == "0" || !token.hasPrefix("0")
        else { return nil }
        return Int(token)
    }
}
