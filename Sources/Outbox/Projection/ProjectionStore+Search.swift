import Foundation
import PostgresNIO

/// Search over the projection with Postgres full-text search: one statement for the page of
/// hits and one for the total and the facet counts.
///
/// Facet counts are disjunctive: each facet is counted under every filter except its own, so
/// choosing `make=Toyota` still shows how many Hondas the other filters leave. One scan
/// answers every facet: rows failing two or more filters cannot count anywhere and are
/// dropped, and `GROUPING SETS` counts each facet with `count(*) FILTER (all but its own)`.
extension ProjectionStore {
    public func search(_ query: SearchQuery, in collection: ProjectionCollection) async throws -> SearchResult {
        do {
            async let page = hits(query, collection)
            async let counted = counts(query, collection)
            let (hits, hasMore) = try await page
            let (total, facets) = try await counted
            return SearchResult(total: total, hits: hits, hasMore: hasMore, facets: facets)
        } catch {
            throw StoreError.classify(error)
        }
    }

    private func hits(_ query: SearchQuery, _ collection: ProjectionCollection) async throws
        -> ([SearchResult.Hit], Bool)
    {
        var sql = BoundSQL()
        let tsquery = query.text.map { "websearch_to_tsquery(\(sql.bind(collection.language))::regconfig, \(sql.bind($0)))" }
        let score = tsquery.map { "ts_rank(search, \($0))::float8" } ?? "NULL::float8"
        // Newest first walks the (collection, version_time, subject) index backwards; its key is
        // the version time in whole microseconds, exact in a float8 (to the year 2255).
        let byTime = query.sort == .newest || (query.sort == .relevance && tsquery == nil)
        let key: String
        switch query.sort {
        case _ where byTime: key = "(extract(epoch FROM version_time) * 1000000)::float8"
        case .ascending(let facet): key = "coalesce(\(Self.number(facet, &sql)), 'Infinity'::float8)"
        case .descending(let facet): key = "coalesce(-\(Self.number(facet, &sql)), 'Infinity'::float8)"
        default: key = "-\(score)"
        }
        sql.append("SELECT subject, document::text, score, k FROM (SELECT subject, document, version_time, ")
        sql.append("\(score) AS score, \(key) AS k FROM projection_documents WHERE ")
        Self.base(collection, tsquery: tsquery, &sql)
        for (name, filter) in query.filters.sorted(by: { $0.key < $1.key }) {
            let condition = Self.condition(name, filter, &sql)
            sql.append(" AND \(condition)")
        }
        sql.append(") matched ")
        var offset = 0
        switch query.start {
        case .offset(let skip): offset = skip
        case .after(let lastKey, let lastSubject) where byTime:
            let after = "('epoch'::timestamptz + \(sql.bind(lastKey)) * interval '1 microsecond', \(sql.bind(lastSubject)))"
            sql.append("WHERE (version_time, subject) < \(after) ")
        case .after(let lastKey, let lastSubject):
            let after = "(\(sql.bind(lastKey)), \(sql.bind(lastSubject)))"
            sql.append("WHERE (k, subject) > \(after) ")
        }
        // One more than the page, to know whether another follows.
        let window = "LIMIT \(sql.bind(query.limit + 1)) OFFSET \(sql.bind(offset))"
        sql.append((byTime ? "ORDER BY version_time DESC, subject DESC " : "ORDER BY k, subject ") + window)
        var hits: [SearchResult.Hit] = []
        let rows = try await client.query(sql.query, logger: logger)
        for try await (subject, document, score, key) in rows.decode((String, String, Double?, Double).self) {
            hits.append(.init(subject: subject, document: document, score: score, sortKey: key))
        }
        let hasMore = hits.count > query.limit
        return (Array(hits.prefix(query.limit)), hasMore)
    }

    private func counts(_ query: SearchQuery, _ collection: ProjectionCollection) async throws
        -> (Int, [SearchResult.FacetCounts])
    {
        var sql = BoundSQL()
        let tsquery = query.text.map { "websearch_to_tsquery(\(sql.bind(collection.language))::regconfig, \(sql.bind($0)))" }
        let facets = collection.facets
        // Per facet: the value it is counted by, and whether its own filter passes.
        var columns: [String] = []
        for (index, facet) in facets.enumerated() {
            let value: String
            switch facet.kind {
            case .keyword: value = "facets->>\(sql.bind(facet.name))"
            case .number(let buckets) where buckets.isEmpty: value = Self.number(facet.name, &sql)
            case .number(let buckets): value = "width_bucket(\(Self.number(facet.name, &sql)), \(sql.bind(buckets)))"
            }
            let passes = query.filters[facet.name].map { "coalesce(\(Self.condition(facet.name, $0, &sql)), false)" }
            columns.append("\(value) AS g\(index), \(passes ?? "true") AS m\(index)")
        }
        let filtered = facets.indices.filter { query.filters[facets[$0].name] != nil }
        func allPass(except skipped: Int?) -> String {
            let terms = filtered.filter { $0 != skipped }.map { "m\($0)" }
            return terms.isEmpty ? "true" : terms.joined(separator: " AND ")
        }
        let groups = facets.indices.map { "g\($0)" }
        var select = ["count(*) FILTER (WHERE \(allPass(except: nil)))"]
        if !facets.isEmpty {
            select.insert("GROUPING(\(groups.joined(separator: ", ")))", at: 0)
            select += groups.map { "\($0)::text" }
            select += facets.indices.map { "count(*) FILTER (WHERE \(allPass(except: $0)))" }
        }
        sql.append("SELECT \(select.joined(separator: ", ")) FROM (SELECT ")
        sql.append((columns.isEmpty ? ["1 AS one"] : columns).joined(separator: ", "))
        sql.append(" FROM projection_documents WHERE ")
        Self.base(collection, tsquery: tsquery, &sql)
        sql.append(") scanned")
        if filtered.count > 1 {
            sql.append(" WHERE " + filtered.map { "(NOT m\($0))::int" }.joined(separator: " + ") + " <= 1")
        }
        sql.append(" GROUP BY GROUPING SETS (" + (groups.map { "(\($0))" } + ["()"]).joined(separator: ", ") + ")")

        var total = 0
        var values = Array(repeating: [(value: SearchResult.FacetValue, count: Int)](), count: facets.count)
        let everyGroup = (1 << facets.count) - 1
        let rows = try await client.withTransaction(logger: logger) { connection in
            // The planner cannot estimate how many values a facet has (it guesses ~100,000 for a
            // collection of that size) and, within the default work_mem, sorts the rows once per
            // facet; given room it hashes every facet in one pass. Real facets have hundreds of
            // values, so the memory actually used stays small.
            try await connection.query("SET LOCAL work_mem = '64MB'", logger: logger)
            var rows: [PostgresRow] = []
            for try await row in try await connection.query(sql.query, logger: logger) { rows.append(row) }
            return rows
        }
        for row in rows {
            let cells = row.makeRandomAccess()
            guard !facets.isEmpty else {
                total = try cells[0].decode(Int.self)
                continue
            }
            let grouping = try cells[0].decode(Int32.self)
            if grouping == everyGroup {
                total = try cells[1].decode(Int.self)
                continue
            }
            // GROUPING sets the bit of every column this row is not grouped by; g0 is the highest bit.
            guard let index = facets.indices.first(where: { (Int(grouping) >> (facets.count - 1 - $0)) & 1 == 0 }),
                let text = try cells[2 + index].decode(String?.self)
            else { continue }
            let count = try cells[2 + facets.count + index].decode(Int.self)
            guard count > 0, let value = Self.facetValue(text, facets[index]) else { continue }
            values[index].append((value, count))
        }
        let counts = facets.enumerated().map { index, facet in
            SearchResult.FacetCounts(name: facet.name, counts: Self.ordered(values[index], facet, limit: query.facetLimit))
        }
        return (total, counts)
    }

    /// The rows every search looks at: the collection's live documents, matching the text if any.
    private static func base(_ collection: ProjectionCollection, tsquery: String?, _ sql: inout BoundSQL) {
        let name = sql.bind(collection.name)
        sql.append("collection = \(name) AND NOT deleted")
        if let tsquery { sql.append(" AND search @@ \(tsquery)") }
    }

    /// A number facet as float8; NULL when absent or not a number.
    private static func number(_ facet: String, _ sql: inout BoundSQL) -> String {
        let name = sql.bind(facet)
        return "(CASE WHEN jsonb_typeof(facets->\(name)) = 'number' THEN (facets->\(name))::float8 END)"
    }

    private static func condition(_ facet: String, _ filter: SearchQuery.Filter, _ sql: inout BoundSQL) -> String {
        switch filter {
        case .equals(let value):
            // Containment, so the GIN index on facets can answer it.
            let json = JSONValue.object([facet: .string(value)]).canonicalText
            return "facets @> \(sql.bind(json))::jsonb"
        case .range(let min, let max):
            let value = number(facet, &sql)
            var terms: [String] = []
            if let min { terms.append("\(value) >= \(sql.bind(min))") }
            if let max { terms.append("\(value) <= \(sql.bind(max))") }
            return "(" + (terms.isEmpty ? "true" : terms.joined(separator: " AND ")) + ")"
        }
    }

    private static func facetValue(_ text: String, _ facet: ProjectionCollection.Facet) -> SearchResult.FacetValue? {
        switch facet.kind {
        case .keyword: return .keyword(text)
        case .number(let buckets) where buckets.isEmpty: return Double(text).map { .number($0) }
        case .number(let buckets):
            // width_bucket: 0 below the first bound, i in [bounds[i-1], bounds[i]), count at or above the last.
            guard let bucket = Int(text), (0...buckets.count).contains(bucket) else { return nil }
            return .range(min: bucket == 0 ? nil : buckets[bucket - 1], max: bucket == buckets.count ? nil : buckets[bucket])
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
