/// A candidate hit while a page is chosen; `<` is "comes first". Newest first orders by the
/// version time and then the subject, both descending; every other order by its key and then
/// the subject, ascending (the order `ORDER BY ..., subject` gives in a C-collated database).
/// Subjects compare by their rank in ``SubjectOrder``.
struct PageEntry: Comparable {
    var key: Double
    var rank: Int64
    var row: Int32
    /// The text rank, when the query has text.
    var score: Double?
    var newestFirst: Bool

    static func < (a: PageEntry, b: PageEntry) -> Bool {
        if a.key != b.key { return a.newestFirst ? a.key > b.key : a.key < b.key }
        return a.newestFirst ? a.rank > b.rank : a.rank < b.rank
    }

    static func == (a: PageEntry, b: PageEntry) -> Bool { a.key == b.key && a.rank == b.rank }
}
