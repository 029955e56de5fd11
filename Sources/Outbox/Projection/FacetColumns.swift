/// A collection's documents as columns in memory, one row per subject ever seen: enough to
/// filter, count facets and sort without Postgres. The bodies stay in Postgres.
///
/// Facet values are stored row after row in flat arrays (`codes[row * facets.count + facet]`),
/// so a search reads each row's values side by side. A value type: a search works on its own
/// copy while refreshes change the index's (arrays are copied on write, and only when a
/// refresh brings changes while a search holds a copy).
struct FacetColumns: Sendable {
    let facets: [ProjectionCollection.Facet]
    /// Which load of the collection these rows are: a reload (after a physical delete) numbers
    /// rows anew, so what was kept by row number belongs to one generation.
    let generation: Int
    private(set) var dictionaries: [FacetDictionary]
    private(set) var subjects: [String] = []
    private(set) var rowOf: [String: Int32] = [:]
    private(set) var order = SubjectOrder()
    /// False for a tombstoned subject. Its row stays, so the subject keeps its row if it comes back.
    private(set) var live: [Bool] = []
    /// The version time in whole microseconds since 1970.
    private(set) var newestKeys: [Double] = []
    /// Per row and facet: the dictionary code of the value, -1 for none.
    private(set) var codes: [Int32] = []
    /// Per row and facet: the number of a number facet, NaN for none (and for keyword facets).
    private(set) var numbers: [Double] = []
    /// Every change numbered up to here is reflected.
    private(set) var mark: Int64 = 0
    /// The collection's latest physical delete this state knows of.
    private(set) var purgedSeq: Int64 = 0

    init(facets: [ProjectionCollection.Facet], generation: Int = 0) {
        self.facets = facets
        self.generation = generation
        dictionaries = facets.map(FacetDictionary.init)
    }

    var rowCount: Int { subjects.count }

    /// Brings the columns up to `changes`, read after this state's mark, oldest first.
    mutating func apply(_ changes: ProjectionChanges) {
        for change in changes.rows {
            apply(change)
            mark = max(mark, change.seq)
        }
        purgedSeq = max(purgedSeq, changes.purgedSeq)
        order.merge(subjects)
    }

    private mutating func apply(_ change: ProjectionChange) {
        let row: Int
        if let known = rowOf[change.subject] {
            row = Int(known)
        } else {
            row = subjects.count
            rowOf[change.subject] = Int32(row)
            subjects.append(change.subject)
            order.add(row: Int32(row))
            live.append(false)
            newestKeys.append(0)
            codes.append(contentsOf: repeatElement(-1, count: facets.count))
            numbers.append(contentsOf: repeatElement(.nan, count: facets.count))
        }
        live[row] = !change.deleted
        guard !change.deleted else { return }
        newestKeys[row] = change.newestKey
        for facet in facets.indices {
            let number = facets[facet].isNumber ? change.numbers[facet] : nil
            codes[row * facets.count + facet] = dictionaries[facet].code(keyword: change.keywords[facet], number: number)
            numbers[row * facets.count + facet] = number ?? .nan
        }
    }
}
