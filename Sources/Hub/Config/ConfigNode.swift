import Foundation
import Yams

/// A position in the parsed YAML that knows its dotted key path and line, so every read can
/// fail with an error that says exactly where. Scalars get `${VAR}` / `${VAR:-default}`
/// substituted from the environment as they are read.
struct ConfigNode {
    let node: Node
    let path: String
    let environment: [String: String]

    var line: Int? { node.mark?.line }

    func error(_ message: String) -> ConfigError {
        ConfigError(key: path, line: line, message: message)
    }

    private func child(_ node: Node, _ key: String) -> ConfigNode {
        ConfigNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", environment: environment)
    }

    // MARK: Containers

    /// The entries of a mapping, in file order; fails on keys outside `allowed` (typos).
    func mapping(allowed: Set<String>? = nil) throws -> [(key: String, value: ConfigNode)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping (key: value pairs)") }
        return try mapping.map { key, value in
            guard let name = key.string else { throw error("keys must be strings") }
            let entry = child(value, name)
            if let allowed, !allowed.contains(name) {
                let known = allowed.sorted().joined(separator: ", ")
                throw ConfigError(key: entry.path, line: key.mark?.line, message: "unknown key (expected one of: \(known))")
            }
            return (name, entry)
        }
    }

    func sequence() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { index, item in
            ConfigNode(node: item, path: "\(path)[\(index)]", environment: environment)
        }
    }

    // MARK: Scalars

    func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a single value") }
        return try substitute(scalar.string)
    }

    func int(in range: ClosedRange<Int>) throws -> Int {
        let text = try string()
        guard let value = Int(text), range.contains(value) else {
            throw error("expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }

    func duration() throws -> Duration {
        let text = try string()
        guard let value = Units.duration(text) else {
            throw error("expected a duration such as 200ms, 5s, 2m, 24h; got '\(text)'")
        }
        return value
    }

    func size() throws -> Int {
        let text = try string()
        guard let value = Units.size(text) else { throw error("expected a size such as 512KiB or 1MiB; got '\(text)'") }
        return value
    }

    func bool() throws -> Bool {
        let text = try string()
        switch text {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, got '\(text)'")
        }
    }

    func strings() throws -> [String] {
        if case .scalar = node { return [try string()] }
        return try sequence().map { try $0.string() }
    }

    /// Replaces `${NAME}` and `${NAME:-fallback}`; an unset variable without a fallback is an error.
    /// `$${` is a literal `${` (a Mustache template writing `$` before `{{price}}`).
    private func substitute(_ text: String) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex, rest[rest.index(before: open.lowerBound)] == "$" {
                result += rest[..<open.upperBound].dropLast(2) + "{"
                rest = rest[open.upperBound...]
                continue
            }
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw error("unterminated ${ in '\(text)'")
            }
            let expression = rest[open.upperBound..<close]
            let parts = expression.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let value = environment[name], !value.isEmpty {
                result += value
            } else if parts.count == 2 {
                result += parts[1]
            } else {
                throw error("environment variable \(name) is not set")
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
