import Outbox

/// A message type built from the payload: `vehicle.history.{/event}` puts the value at
/// `/event` after the literal prefix. A template without braces is a constant.
struct TypeTemplate: Sendable, CustomStringConvertible {
    enum Part: Sendable {
        case literal(String)
        case value(JSONPointer)
    }

    let parts: [Part]
    let description: String

    /// Fails with the reason when a brace is unbalanced or holds something other than a pointer.
    init(_ text: String) throws(TemplateError) {
        description = text
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else { throw TemplateError("unclosed { in '\(text)'") }
            let inner = String(rest[rest.index(after: open)..<close])
            guard !inner.isEmpty, let pointer = JSONPointer(inner) else {
                throw TemplateError("{\(inner)} is not a JSON pointer (expected e.g. {/event})")
            }
            parts.append(.value(pointer))
            rest = rest[rest.index(after: close)...]
        }
        if rest.contains("}") { throw TemplateError("unmatched } in '\(text)'") }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    /// The filled-in type, or the pointer that found no text.
    func render(_ document: JSONValue) -> Result<String, MissingValue> {
        var text = ""
        for part in parts {
            switch part {
            case .literal(let literal): text += literal
            case .value(let pointer):
                guard let value = document.resolve(pointer)?.scalarText else { return .failure(MissingValue(pointer: pointer)) }
                text += value
            }
        }
        return .success(text)
    }

    struct TemplateError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    struct MissingValue: Error {
        var pointer: JSONPointer
    }
}

extension JSONValue {
    func resolve(_ pointer: JSONPointer) -> JSONValue? { pointer.resolve(in: self) }

    /// Strings and numbers as text (an id may be either); nil for anything else.
    var scalarText: String? {
        switch self {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        default: nil
        }
    }
}
