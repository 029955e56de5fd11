import PostgresNIO

extension ProjectionStore {
    /// Every document of `collection` whose change number is above `mark` (all of them from 0),
    /// tombstones included, with the facet values the index keeps, and the collection's latest
    /// physical delete, all in one statement and so one snapshot. Writers of a collection commit
    /// in change-number order (migration 9), so nothing numbered at or below `mark` can appear
    /// later: the next refresh asks from the highest number seen.
    func changes(in collection: ProjectionCollection, after mark: Int64) async throws -> ProjectionChanges {
        var sql = BoundSQL()
        let name = sql.bind(collection.name)
        var columns = ["d.change_seq", "d.subject", "d.deleted", "(extract(epoch FROM d.version_time) * 1000000)::float8"]
        for facet in collection.facets {
            let key = sql.bind(facet.name)
            // The same readings the facet counts have always used: the keyword as text, and a
            // number only when the JSON value is one.
            columns.append(facet.isNumber
                ? "(CASE WHEN jsonb_typeof(d.facets->\(key)) = 'number' THEN (d.facets->\(key))::float8 END)"
                : "d.facets->>\(key)")
        }
        // The one-row `marks` side makes the answer carry the purge mark even when no row changed.
        sql.append("SELECT marks.purged, \(columns.joined(separator: ", ")) ")
        sql.append("FROM (SELECT coalesce((SELECT purged_seq FROM projection_marks WHERE collection = \(name)), 0) AS purged) marks ")
        sql.append("LEFT JOIN projection_documents d ON d.collection = \(name) AND d.change_seq > \(sql.bind(mark)) ")
        sql.append("ORDER BY d.change_seq")

        var changes = ProjectionChanges(purgedSeq: 0, rows: [])
        do {
            for try await row in try await client.query(sql.query, logger: logger) {
                let cells = row.makeRandomAccess()
                changes.purgedSeq = try cells[0].decode(Int64.self)
                guard let seq = try cells[1].decode(Int64?.self) else { continue }
                var change = ProjectionChange(
                    seq: seq, subject: try cells[2].decode(String.self), deleted: try cells[3].decode(Bool.self),
                    newestKey: try cells[4].decode(Double.self), keywords: [], numbers: []
                )
                for (index, facet) in collection.facets.enumerated() {
                    let cell = cells[5 + index]
                    change.keywords.append(facet.isNumber ? nil : try cell.decode(String?.self))
                    change.numbers.append(facet.isNumber ? try cell.decode(Double?.self) : nil)
                }
                changes.rows.append(change)
            }
        } catch {
            throw StoreError.classify(error)
        }
        return changes
    }
}
