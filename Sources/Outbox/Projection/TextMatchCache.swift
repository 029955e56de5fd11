/// The documents matching recently searched texts, by row of one generation of the facet
/// columns, each as of a change number. A search brings its text's entry up to the columns it
/// uses by asking Postgres only for the documents changed since the entry's number (one
/// indexed query), instead of every match again: common words match a tenth of a collection,
/// and ranking those cost Postgres tens of milliseconds per search.
struct TextMatchCache: Sendable {
    struct Entry: Sendable {
        var generation: Int
        var mark: Int64
        var scores: [Int32: Double]
        var used: UInt64 = 0
    }

    /// Kept texts at most; the least recently used goes first. An entry holds ~20 bytes per
    /// matching document.
    static let capacity = 64
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    mutating func entry(_ text: String, generation: Int) -> Entry? {
        guard var entry = entries[text], entry.generation == generation else { return nil }
        clock += 1
        entry.used = clock
        entries[text] = entry
        return entry
    }

    /// Keeps `entry` unless a newer one for the same text got there first.
    mutating func keep(_ text: String, _ entry: Entry) {
        if let kept = entries[text], kept.generation == entry.generation, kept.mark >= entry.mark { return }
        clock += 1
        var entry = entry
        entry.used = clock
        entries[text] = entry
        if entries.count > Self.capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
        }
    }
}
