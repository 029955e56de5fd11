import Outbox

/// Reads `collections:` and `kind: search` destinations, e.g.
/// ```
/// collections:
///   vehicles:
///     delete_types: [vehicle.deleted]
///     text: [{ pointer: /title, weight: A }, { pointer: /description, weight: C }]
///     facets: { make: /make, year: { pointer: /year, type: number } }
///     public: [/vin, /title, /make, /year]
///     search: { token: "${SEARCH_TOKEN}", rate: 20/s }
/// destinations:
///   vehicle_index: { kind: search, collection: vehicles }
/// ```
extension ConfigLoader {
    /// The keys only a search destination takes.
    static let searchKeys: Set<String> = ["collection"]

    /// Query parameters of the search API, which facet names must not shadow.
    static let reservedSearchParameters: Set<String> = ["q", "sort", "page", "limit", "cursor"]

    static func collection(_ name: String, _ node: ConfigNode) throws -> CollectionConfig {
        guard isSearchName(name) else {
            throw node.error("a collection's name is its search path: lowercase letters, digits, - and _, starting with a letter or digit")
        }
        var projection = ProjectionCollection(name: name)
        var collection = CollectionConfig(projection: projection)
        let allowed: Set<String> = ["language", "delete_types", "text", "facets", "public", "search"]
        for (key, value) in try node.mapping(allowed: allowed) {
            switch key {
            case "language":
                projection.language = try value.string()
                guard !projection.language.isEmpty, projection.language.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "_") })
                else { throw value.error("expected a Postgres text search configuration such as english or simple") }
            case "delete_types": projection.deleteTypes = Set(try value.strings())
            case "text": projection.text = try value.sequence().map(textField)
            case "facets": projection.facets = try value.mapping().map { try facet($0.key, $0.value) }
            case "public": collection.publicFields = try value.sequence().map(pointer)
            default: try searchAccess(value, into: &collection)
            }
        }
        collection.projection = projection
        return collection
    }

    /// `{ pointer: /title, weight: A }`, or just `/title` (weight D).
    private static func textField(_ node: ConfigNode) throws -> ProjectionCollection.TextField {
        if case .scalar = node.node { return .init(pointer: try pointer(node), weight: .D) }
        var field: JSONPointer?
        var weight = ProjectionCollection.Weight.D
        for (key, value) in try node.mapping(allowed: ["pointer", "weight"]) {
            if key == "pointer" {
                field = try pointer(value)
                continue
            }
            guard let parsed = ProjectionCollection.Weight(rawValue: try value.string()) else {
                throw value.error("expected a weight A, B, C or D (A ranks highest)")
            }
            weight = parsed
        }
        guard let field else { throw node.error("pointer is required, e.g. { pointer: /title, weight: A }") }
        return .init(pointer: field, weight: weight)
    }

    /// `make: /make`, or `price: { pointer: /price, type: number, buckets: [10000, 20000] }`.
    private static func facet(_ name: String, _ node: ConfigNode) throws -> ProjectionCollection.Facet {
        guard let first = name.first, first.isASCII, first.isLowercase,
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }),
            !reservedSearchParameters.contains(name), !name.hasSuffix("_min"), !name.hasSuffix("_max")
        else {
            throw node.error(
                "a facet's name is a query parameter: lowercase letters, digits and _, not ending in _min or _max, "
                    + "and not one of \(reservedSearchParameters.sorted().joined(separator: ", "))"
            )
        }
        if case .scalar = node.node { return .init(name: name, pointer: try pointer(node), kind: .keyword) }
        var field: JSONPointer?
        var type = "keyword"
        var buckets: [Double] = []
        var bucketsNode: ConfigNode?
        for (key, value) in try node.mapping(allowed: ["pointer", "type", "buckets"]) {
            switch key {
            case "pointer": field = try pointer(value)
            case "type":
                type = try value.string()
                guard ["keyword", "number"].contains(type) else { throw value.error("expected keyword or number") }
            default:
                bucketsNode = value
                buckets = try value.sequence().map { entry in
                    guard let bound = Double(try entry.string()), bound.isFinite else {
                        throw entry.error("expected a number")
                    }
                    return bound
                }
                guard !buckets.isEmpty, zip(buckets, buckets.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw value.error("expected ascending numbers, e.g. [10000, 20000, 30000]")
                }
            }
        }
        guard let field else { throw node.error("pointer is required, e.g. { pointer: /\(name), type: number }") }
        if let bucketsNode, type != "number" { throw bucketsNode.error("buckets apply only to type: number") }
        return .init(name: name, pointer: field, kind: type == "number" ? .number(buckets: buckets) : .keyword)
    }

    /// `search: { token: ..., rate: 20/s }`.
    private static func searchAccess(_ node: ConfigNode, into collection: inout CollectionConfig) throws {
        for (key, value) in try node.mapping(allowed: ["token", "rate"]) {
            if key == "rate" {
                collection.rate = try rate(value)
                continue
            }
            let token = try value.string()
            guard token.count >= 16 else { throw value.error("tokens must be at least 16 characters") }
            collection.token = token
        }
    }

    static func searchDestination(_ node: ConfigNode, _ entries: [(key: String, value: ConfigNode)]) throws -> String {
        guard let value = entries.first(where: { $0.key == "collection" })?.value else {
            throw node.error("collection is required for a search destination (a key of collections:)")
        }
        return try value.string()
    }

    /// Every search destination names a configured collection.
    static func validateSearchDestinations(_ config: HubConfig, top: ConfigNode) throws {
        guard let destinationsNode = try top.mapping().first(where: { $0.key == "destinations" })?.value else { return }
        let known = Set(config.collections.map(\.name))
        for (destination, entry) in zip(config.destinations, try destinationsNode.mapping()) {
            guard let collection = destination.collection, !known.contains(collection) else { continue }
            let node = try entry.value.mapping().first(where: { $0.key == "collection" })?.value ?? entry.value
            let defined = known.isEmpty ? "none defined under collections:" : "defined: \(known.sorted().joined(separator: ", "))"
            throw node.error("unknown collection '\(collection)' (\(defined))")
        }
    }

    private static func isSearchName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLowercase || first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
