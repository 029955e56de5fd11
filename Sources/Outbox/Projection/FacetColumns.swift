/// A collection's documents as columns in memory, one row per subject ever seen: enough to
/// filter, count facets and sort without Postgres. The bodies stay in Postgres.
///
/// A value type: a search works on its own copy while refreshes change the index's (arrays
/// are copied on write, and only when a refresh brings changes while a search holds a copy).
struct FacetColumns: Sendable {
    let facets: [ProjectionCollection.Facet]
    private(set) var subjects: [String] = []
    private(set) var rowOf: [String: Int32] = [:]
    /// False for a tombstoned subject. Its row stays, so the subject keeps its row if it comes back.
    private(set) var live: [Bool] = []
    private(set) var newestKeys: [Double] = []
    private(set) var columns: [FacetColumn]
    /// Every change numbered up to here is reflected.
    private(set) var mark: Int64 = 0
    /// The collection's latest physical delete this state knows of.
    private(set) var purgedSeq: Int64 = 0

    init(facets: [ProjectionCollection.Facet]) {
        self.facets = facets
        columns = facets.map(FacetColumn.init)
    }

    var rowCount: Int { subjects.count }

    /// Brings the columns up to `changes`, read after this state's mark, oldest first.
    mutating func apply(_ changes: ProjectionChanges) {
        for change in changes.rows {
            apply(change)
            mark = max(mark, change.seq)
        }
        purgedSeq = max(purgedSeq, changes.purgedSeq)
    }

    private mutating func apply(_ change: ProjectionChange) {
        let row: Int
        if let known = rowOf[change.subject] {
            row = Int(known)
        } else {
            row = subjects.count
            rowOf[change.subject] = Int32(row)
            subjects.append(change.subject)
            live.append(false)
            newestKeys.append(0)
            for index in columns.indices { columns[index].appendRow() }
        }
        live[row] = !change.deleted
        guard !change.deleted else { return }
        newestKeys[row] = change.newestKey
        for index in columns.indices {
            columns[index].set(row: row, keyword: change.keywords[index], number: change.numbers[index])
        }
    }
}
