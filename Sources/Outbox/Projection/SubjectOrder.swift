/// The rows in subject order, and each row's place in it, so that ties in a sort key are broken
/// by comparing two integers instead of two strings (a collection where every document has the
/// same version time ties on every row).
///
/// New subjects are merged in at the end of each refresh: one sort of the newcomers and one
/// linear merge, not a sort of the whole collection.
struct SubjectOrder: Sendable {
    private(set) var sorted: [Int32] = []
    /// Per row, twice its place in `sorted` (odd numbers stand for places between subjects).
    private(set) var ranks: [Int64] = []
    private var newcomers: [Int32] = []

    mutating func add(row: Int32) {
        newcomers.append(row)
        ranks.append(-1)
    }

    mutating func merge(_ subjects: [String]) {
        guard !newcomers.isEmpty else { return }
        newcomers.sort { subjects[Int($0)] < subjects[Int($1)] }
        var merged: [Int32] = []
        merged.reserveCapacity(sorted.count + newcomers.count)
        var (old, new) = (0, 0)
        while old < sorted.count || new < newcomers.count {
            let takeNew = old == sorted.count
                || (new < newcomers.count && subjects[Int(newcomers[new])] < subjects[Int(sorted[old])])
            if takeNew { merged.append(newcomers[new]); new += 1 } else { merged.append(sorted[old]); old += 1 }
        }
        sorted = merged
        newcomers.removeAll()
        for (place, row) in sorted.enumerated() { ranks[Int(row)] = Int64(place) * 2 }
    }

    /// The rank `subject` has, or would have between its neighbours when no row has it (a
    /// cursor's subject may since have been deleted).
    func rank(of subject: String, _ subjects: [String]) -> Int64 {
        var (low, high) = (0, sorted.count)
        while low < high {
            let middle = (low + high) / 2
            if subjects[Int(sorted[middle])] < subject { low = middle + 1 } else { high = middle }
        }
        let found = low < sorted.count && subjects[Int(sorted[low])] == subject
        return Int64(low) * 2 - (found ? 0 : 1)
    }
}
