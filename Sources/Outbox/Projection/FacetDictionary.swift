/// The values one facet is counted by, each under a small code (its position here), so rows
/// hold an Int32 instead of a string and counting is an array increment.
///
/// Codes are never given back: a value no live document has any more simply counts 0 (and is
/// not reported), and every code a copy of the columns holds stays valid.
struct FacetDictionary: Sendable {
    let facet: ProjectionCollection.Facet
    private(set) var values: [SearchResult.FacetValue] = []
    private var codeOf: [SearchResult.FacetValue: Int32] = [:]

    init(_ facet: ProjectionCollection.Facet) {
        self.facet = facet
        // A bucketed facet counts by range: codes are bucket numbers, as width_bucket numbers them.
        if case .number(let buckets) = facet.kind, !buckets.isEmpty {
            values = (0...buckets.count).map { bucket in
                .range(min: bucket == 0 ? nil : buckets[bucket - 1], max: bucket == buckets.count ? nil : buckets[bucket])
            }
        }
    }

    /// The code a keyword filter compares with; nil when no document has that value.
    func code(ofKeyword keyword: String) -> Int32? { codeOf[.keyword(keyword)] }

    /// The code a document with these values is counted under; -1 for none.
    mutating func code(keyword: String?, number: Double?) -> Int32 {
        switch facet.kind {
        case .keyword:
            return keyword.map { code(for: .keyword($0)) } ?? -1
        case .number(let buckets):
            guard let number else { return -1 }
            // The bucket is how many lower bounds the number reaches (0 below the first).
            return buckets.isEmpty ? code(for: .number(number)) : Int32(buckets.prefix { $0 <= number }.count)
        }
    }

    private mutating func code(for value: SearchResult.FacetValue) -> Int32 {
        if let code = codeOf[value] { return code }
        let code = Int32(values.count)
        values.append(value)
        codeOf[value] = code
        return code
    }
}
