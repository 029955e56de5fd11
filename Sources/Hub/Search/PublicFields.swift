import Outbox

/// The public part of a stored document: only the members the collection's `public:` list
/// names, at the same places as in the original. Pointers name object members (an array is
/// public whole, e.g. `/photos`); anything not listed never leaves the hub.
struct PublicFields: Sendable {
    let pointers: [JSONPointer]

    func view(of document: JSONValue) -> JSONValue {
        var view = JSONValue.object([:])
        for pointer in pointers {
            guard !pointer.tokens.isEmpty, let value = pointer.resolve(in: document) else { continue }
            Self.set(value, at: pointer.tokens[...], in: &view)
        }
        return view
    }

    private static func set(_ value: JSONValue, at path: ArraySlice<String>, in target: inout JSONValue) {
        guard let token = path.first else {
            target = value
            return
        }
        guard case .object(var members) = target else { return }
        var child = members[token] ?? .object([:])
        set(value, at: path.dropFirst(), in: &child)
        members[token] = child
        target = .object(members)
    }
}
