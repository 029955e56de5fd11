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
    /// One filter, read against a facet's values.
    private enum Test {
        case code(Int32)
        case range(min: Double, max: Double)
        case always
        case never
    }

    /// `textMatches`: when the query has text, the rows matching it with their rank.
    func answer(_ query: SearchQuery, textMatches: [Int32: Double]?) -> FacetAnswer {
        let width = facets.count
        // The query is validated against the collection; a filter on no facet has nothing to test.
        let tests: [(facet: Int, test: Test)] = facets.indices.compactMap { index in
            query.filters[facets[index].name].map { (index, test($0, dictionaries[index])) }
        }
        // All facets' counts in one array: facet f's code c at offsets[f] + c.
        var offsets: [Int] = []
        var slots = 0
        for dictionary in dictionaries {
            offsets.append(slots)
            slots += dictionary.values.count
        }
        var counts = [Int](repeating: 0, count: slots)
        var total = 0
        let sortKey = sortKey(query.sort, hasText: textMatches != nil)
        let newestFirst = sortKey.isNewest
        var page = PageChooser(query, newestFirst: newestFirst, after: { order.rank(of: $0, subjects) })
        let ranks = order.ranks
        // Unchecked buffers: this loop runs once per candidate row, and the indexes are in range
        // by construction (row * width + facet, offsets[facet] + a code of that facet).
        counts.withUnsafeMutableBufferPointer { counts in
            codes.withUnsafeBufferPointer { codes in
                numbers.withUnsafeBufferPointer { numbers in
                    func consider(_ row: Int, score: Double?) {
                        let base = row * width
                        var failures = 0
                        var failed = 0
                        for (facet, test) in tests {
                            let passes: Bool
                            switch test {
                            case .code(let code): passes = codes[base + facet] == code
                            // NaN (no number) fails both comparisons, as NULL did in SQL.
                            case .range(let min, let max): passes = numbers[base + facet] >= min && numbers[base + facet] <= max
                            case .always: passes = true
                            case .never: passes = false
                            }
                            guard !passes else { continue }
                            failures += 1
                            failed = facet
                            if failures > 1 { return }
                        }
                        if failures == 1 {
                            let code = codes[base + failed]
                            if code >= 0 { counts[offsets[failed] + Int(code)] += 1 }
                            return
                        }
                        total += 1
                        for facet in 0..<width {
                            let code = codes[base + facet]
                            if code >= 0 { counts[offsets[facet] + Int(code)] += 1 }
                        }
                        page.offer(key: key(row, base, sortKey, score: score), rank: ranks[row], row: Int32(row), score: score)
                    }

                    if let textMatches {
                        for (row, score) in textMatches where Int(row) < rowCount && live[Int(row)] {
                            consider(Int(row), score: score)
                        }
                        return
                    }
                    // Rows are numbered in arrival order, so the newest documents are mostly the
                    // last rows: walking backwards fills a newest-first page with them early, and
                    // the other rows fail one comparison instead of reshuffling the heap.
                    for row in stride(from: rowCount - 1, through: 0, by: -1) where live[row] { consider(row, score: nil) }
                }
            }
        }

        let (chosen, hasMore) = page.chosen()
        let hits = chosen.map { FacetAnswer.Hit(row: $0.row, sortKey: $0.key, score: $0.score) }
        let facetCounts = facets.indices.map { index in
            let values = dictionaries[index].values
            let found = values.indices.compactMap { code in
                let count = counts[offsets[index] + code]
                return count > 0 ? (value: values[code], count: count) : nil
            }
            return SearchResult.FacetCounts(name: facets[index].name, counts: Self.ordered(found, facets[index], limit: query.facetLimit))
        }
        return FacetAnswer(total: total, hits: hits, hasMore: hasMore, facets: facetCounts)
    }

    private func test(_ filter: SearchQuery.Filter, _ dictionary: FacetDictionary) -> Test {
        switch filter {
        case .equals(let value) where !dictionary.facet.isNumber: dictionary.code(ofKeyword: value).map(Test.code) ?? .never
        case .equals: .never
        case .range(nil, nil): .always
        case .range(let min, let max) where dictionary.facet.isNumber: .range(min: min ?? -.infinity, max: max ?? .infinity)
        case .range: .never
        }
    }

    /// The value the page is ordered by (and the cursor carries): the version time in
    /// microseconds newest first, a number facet (absent ones last, either way), or the
    /// negated rank.
    private enum SortKey {
        case newest
        case rank
        case number(facet: Int?, negated: Bool)

        var isNewest: Bool { if case .newest = self { true } else { false } }
    }

    private func sortKey(_ sort: SearchQuery.Sort, hasText: Bool) -> SortKey {
        let facet = { (name: String) in facets.firstIndex { $0.name == name && $0.isNumber } }
        switch sort {
        case .ascending(let name): return .number(facet: facet(name), negated: false)
        case .descending(let name): return .number(facet: facet(name), negated: true)
        case .relevance where hasText: return .rank
        case .relevance, .newest: return .newest
        }
    }

    /// `base`: the row's first slot in the flat arrays.
    private func key(_ row: Int, _ base: Int, _ sortKey: SortKey, score: Double?) -> Double {
        switch sortKey {
        case .newest: return newestKeys[row]
        case .rank: return -(score ?? 0)
        case .number(let facet, let negated):
            guard let facet, !numbers[base + facet].isNaN else { return .infinity }
            return negated ? -numbers[base + facet] : numbers[base + facet]
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
    private let newestFirst: Bool
    private let after: PageEntry?
    private let skip: Int
    private let limit: Int
    private var best = Heap<PageEntry>()

    /// `rank`: a cursor subject's rank among the collection's subjects.
    init(_ query: SearchQuery, newestFirst: Bool, after rank: (String) -> Int64) {
        self.newestFirst = newestFirst
        limit = query.limit
        switch query.start {
        case .offset(let offset):
            skip = offset
            after = nil
        case .after(let key, let subject):
            skip = 0
            after = PageEntry(key: key, rank: rank(subject), row: -1, score: nil, newestFirst: newestFirst)
        }
    }

    mutating func offer(key: Double, rank: Int64, row: Int32, score: Double?) {
        let entry = PageEntry(key: key, rank: rank, row: row, score: score, newestFirst: newestFirst)
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
