import Outbox

/// The JSON a search answers with. Hits carry only public fields; facets are counted under
/// every filter except their own (see ``ProjectionStore/search(_:in:)``).
enum SearchResultView {
    static func hits(_ result: SearchResult, fields: PublicFields) -> JSONValue {
        .array(result.hits.map { hit in
            var members: [String: JSONValue] = [
                "subject": .string(hit.subject),
                "document": JSONValue(parsing: hit.document).map(fields.view) ?? .object([:]),
            ]
            if let score = hit.score { members["score"] = .double(score) }
            return .object(members)
        })
    }

    /// `{"make": [{"value": "Toyota", "count": 12}, ...], "price": [{"min": 10000, "max": 20000, "count": 3}]}`.
    static func facets(_ result: SearchResult) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: result.facets.map { facet in
            (facet.name, JSONValue.array(facet.counts.map { entry in
                var members: [String: JSONValue] = ["count": .int(Int64(entry.count))]
                switch entry.value {
                case .keyword(let text): members["value"] = .string(text)
                case .number(let value): members["value"] = Self.number(value)
                case .range(let min, let max):
                    if let min { members["min"] = Self.number(min) }
                    if let max { members["max"] = Self.number(max) }
                }
                return .object(members)
            }))
        }))
    }

    /// Whole numbers as integers (a year is 2019, not 2019.0).
    static func number(_ value: Double) -> JSONValue {
        if value == value.rounded(), abs(value) < 9e15 { return .int(Int64(value)) }
        return .double(value)
    }
}
