/// A route pattern: `*` stands for any run of characters (dots included), everything else is
/// literal. `order.*` matches `order.created` and `order.line.added`; `*` matches anything.
struct GlobPattern: Sendable, Equatable, CustomStringConvertible {
    let pattern: String
    private let parts: [Substring]

    init(_ pattern: String) {
        self.pattern = pattern
        self.parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
    }

    var description: String { pattern }

    func matches(_ text: String) -> Bool {
        guard parts.count > 1 else { return text == pattern }
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let found = rest.range(of: middle) else { return false }
            rest = rest[found.upperBound...]
        }
        return rest.hasSuffix(parts[parts.count - 1])
    }
}
