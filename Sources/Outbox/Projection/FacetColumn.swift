/// One facet of a collection in memory: per row, the code of the value the facet is counted
/// by (-1 when the document has none), and for number facets the number itself (NaN when
/// absent) for range filters and sorting.
struct FacetColumn: Sendable {
    let facet: ProjectionCollection.Facet
    private(set) var codes: [Int32] = []
    private(set) var numbers: [Double] = []
    /// The counted value of each code.
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

    var isNumber: Bool { facet.isNumber }

    /// The code a keyword filter compares with; nil when no document has that value.
    func code(ofKeyword keyword: String) -> Int32? { codeOf[.keyword(keyword)] }

    mutating func appendRow() {
        codes.append(-1)
        if isNumber { numbers.append(.nan) }
    }

    mutating func set(row: Int, keyword: String?, number: Double?) {
        switch facet.kind {
        case .keyword:
            codes[row] = keyword.map { code(for: .keyword($0)) } ?? -1
        case .number(let buckets):
            numbers[row] = number ?? .nan
            guard let number else {
                codes[row] = -1
                return
            }
            // The bucket is how many lower bounds the number reaches (0 below the first).
            codes[row] = buckets.isEmpty ? code(for: .number(number)) : Int32(buckets.prefix { $0 <= number }.count)
        }
    }

    /// Values are never forgotten: a code stays valid for as long as the column lives, and a
    /// value no live document has any more simply counts 0 (and is not reported).
    private mutating func code(for value: SearchResult.FacetValue) -> Int32 {
        if let code = codeOf[value] { return code }
        let code = Int32(values.count)
        values.append(value)
        codeOf[value] = code
        return code
    }
}
