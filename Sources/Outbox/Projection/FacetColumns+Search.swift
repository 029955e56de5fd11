import HeapModule

/// What the columns answer for a search: the page's rows in order, and the counts.
struct FacetAnswer {
    struct Hit {
        var row: Int32
        var sortKey: Double
        var score: Double?
    }

    var total: Int
    var hits: [Hit]
    var hasMore: Bool
    var facets: [SearchResult.FacetCounts]
}

/// Filtering, disjunctive facet counting and paging over the columns, in one pass over the
/// candidate rows (every live document, or those matching the text).
///
/// Each facet is counted under every filter except its own, so choosing `make=Toyota` still
/// shows how many Hondas the other filters leave: a row failing no filter counts for every
/// facet, a row failing exactly one counts only for that filter's facet, and a row failing two
/// or more counts nowhere.
extension FacetColumns {
    /// One filter, read against a facet's column.
    private enum Test {
        case code(Int32)
        case range(min: Double, max: Double)
        case always
        case never

        func passes(_ column: FacetColumn, _ row: Int) -> Bool {
            switch self {
            case .code(let code): column.codes[row] == code
            // NaN (no number) fails both comparisons, as NULL did in SQL.
            case .range(let min, let max): column.numbers[row] >= min && column.numbers[row] <= max
            case .always: true
            case .never: false
            }
        }
    }

    /// `textMatches`: when the query has text, the subjects matching it with their rank.
    func answer(_ query: SearchQuery, textMatches: [(subject: String, score: Double)]?) -> FacetAnswer {
        // The query is validated against the collection; a filter on no facet has nothing to test.
        let tests: [(facet: Int, test: Test)] = columns.indices.compactMap { index in
            query.filters[columns[index].facet.name].map { (index, test($0, columns[index])) }
        }
        var counts = columns.map { [Int](repeating: 0, count: $0.values.count) }
        var total = 0
        let sortKey = sortKey(query.sort, hasText: textMatches != nil)
        var page = PageChooser(query, newestFirst: { if case .newest = sortKey { true } else { false } }())

        func consider(_ row: Int, score: Double?) {
            var failures = 0
            var failed = 0
            for (facet, test) in tests where !test.passes(columns[facet], row) {
                failures += 1
                failed = facet
                if failures > 1 { return }
            }
            if failures == 1 {
                let code = columns[failed].codes[row]
                if code >= 0 { counts[failed][Int(code)] += 1 }
                return
            }
            total += 1
            for facet in columns.indices {
                let code = columns[facet].codes[row]
                if code >= 0 { counts[facet][Int(code)] += 1 }
            }
            page.offer(PageEntry(
                key: key(row, sortKey, score: score), subject: subjects[row], row: Int32(row), score: score,
                newestFirst: page.newestFirst
            ))
        }

        if let textMatches {
            for match in textMatches {
                // A document written after this copy was taken is not in it yet: left out.
                guard let row = rowOf[match.subject].map(Int.init), live[row] else { continue }
                consider(row, score: match.score)
            }
        } else {
            for row in 0..<rowCount where live[row] { consider(row, score: nil) }
        }

        let (chosen, hasMore) = page.chosen()
        let hits = chosen.map { FacetAnswer.Hit(row: $0.row, sortKey: $0.key, score: $0.score) }
        let facets = columns.indices.map { index in
            let column = columns[index]
            let found = counts[index].indices.filter { counts[index][$0] > 0 }.map { (value: column.values[$0], count: counts[index][$0]) }
            return SearchResult.FacetCounts(name: column.facet.name, counts: Self.ordered(found, column.facet, limit: query.facetLimit))
        }
        return FacetAnswer(total: total, hits: hits, hasMore: hasMore, facets: facets)
    }

    private func test(_ filter: SearchQuery.Filter, _ column: FacetColumn) -> Test {
        switch filter {
        case .equals(let value) where !column.isNumber: column.code(ofKeyword: value).map(Test.code) ?? .never
        case .equals: .never
        case .range(nil, nil): .always
        case .range(let min, let max) where column.isNumber: .range(min: min ?? -.infinity, max: max ?? .infinity)
        case .range: .never
        }
    }

    /// The value the page is ordered by (and the cursor carries): the version time in
    /// microseconds newest first, a number facet (absent ones last, either way), or the
    /// negated rank.
    private enum SortKey {
        case newest
        case rank
        case number(column: Int?, negated: Bool)
    }

    private func sortKey(_ sort: SearchQuery.Sort, hasText: Bool) -> SortKey {
        let column = { (name: String) in columns.firstIndex { $0.facet.name == name && $0.isNumber } }
        switch sort {
        case .ascending(let facet): return .number(column: column(facet), negated: false)
        case .descending(let facet): return .number(column: column(facet), negated: true)
        case .relevance where hasText: return .rank
        case .relevance, .newest: return .newest
        }
    }

    private func key(_ row: Int, _ sortKey: SortKey, score: Double?) -> Double {
        switch sortKey {
        case .newest: return newestKeys[row]
        case .rank: return -(score ?? 0)
        case .number(let column, let negated):
            guard let column, !columns[column].numbers[row].isNaN else { return .infinity }
            return negated ? -columns[column].numbers[row] : columns[column].numbers[row]
        }
    }

    /// Keywords by count (then name), the top `limit`; numbers by value; ranges in bucket order.
    private static func ordered(
        _ counts: [(value: SearchResult.FacetValue, count: Int)], _ facet: ProjectionCollection.Facet, limit: Int
    ) -> [(value: SearchResult.FacetValue, count: Int)] {
        func sortValue(_ value: SearchResult.FacetValue) -> Double {
            switch value {
            case .keyword: 0
            case .number(let number): number
            case .range(let min, _): min ?? -Double.infinity
            }
        }
        switch facet.kind {
        case .keyword:
            let sorted = counts.sorted {
                if $0.count != $1.count { return $0.count > $1.count }
                if case .keyword(let a) = $0.value, case .keyword(let b) = $1.value { return a < b }
                return false
            }
            return Array(sorted.prefix(limit))
        case .number(let buckets):
            let sorted = counts.sorted { sortValue($0.value) < sortValue($1.value) }
            return buckets.isEmpty ? Array(sorted.prefix(limit)) : sorted
        }
    }
}

/// Keeps the best `offset + limit + 1` candidates after the cursor (one more than the page, to
/// know whether another follows) in a bounded heap, instead of sorting every candidate.
private struct PageChooser {
    let newestFirst: Bool
    private let after: PageEntry?
    private let skip: Int
    private let limit: Int
    private var best = Heap<PageEntry>()

    init(_ query: SearchQuery, newestFirst: Bool) {
        self.newestFirst = newestFirst
        limit = query.limit
        switch query.start {
        case .offset(let offset):
            skip = offset
            after = nil
        case .after(let key, let subject):
            skip = 0
            after = PageEntry(key: key, subject: subject, row: -1, score: nil, newestFirst: newestFirst)
        }
    }

    mutating func offer(_ entry: PageEntry) {
        if let after, !(after < entry) { return }
        if best.count < skip + limit + 1 {
            best.insert(entry)
        } else if let worst = best.max, entry < worst {
            best.replaceMax(with: entry)
        }
    }

    func chosen() -> (entries: [PageEntry], hasMore: Bool) {
        let ordered = best.unordered.sorted().dropFirst(skip)
        return (Array(ordered.prefix(limit)), ordered.count > limit)
    }
}
