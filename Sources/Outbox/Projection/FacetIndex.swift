import Synchronization

/// A collection's ``FacetColumns``, kept current from Postgres: before every search it reads
/// the rows changed since its mark (one indexed query, nearly free when nothing changed), so a
/// search sees every write committed before it began, whichever hub process made it.
///
/// Refreshes take turns (``TurnLock``): each applies its changes in order onto the last one's,
/// and a cold index loads once, not once per waiting search. A search waits only for the
/// refreshes queued before it, then counts on its own copy while the next refresh runs. The
/// texts searched recently are kept the same way (``TextMatchCache``).
final class FacetIndex: Sendable {
    private struct State {
        var columns: FacetColumns
        var texts = TextMatchCache()
        var generations = 0
    }

    let collection: ProjectionCollection
    private let state: Mutex<State>
    private let turns = TurnLock()

    init(collection: ProjectionCollection) {
        self.collection = collection
        state = Mutex(State(columns: FacetColumns(facets: collection.facets)))
    }

    /// The columns as of now: every change committed before this call is in them.
    func current(_ store: ProjectionStore) async throws -> FacetColumns {
        try await turns.withTurn {
            let (mark, purgedSeq) = state.withLock { ($0.columns.mark, $0.columns.purgedSeq) }
            var changes = try await store.changes(in: collection, after: mark)
            // Rows deleted outright (not tombstoned) leave no row to read: start over from 0.
            let purged = mark > 0 && changes.purgedSeq > purgedSeq
            if purged { changes = try await store.changes(in: collection, after: 0) }
            return state.withLock { state in
                if purged {
                    state.generations += 1
                    state.columns = FacetColumns(facets: collection.facets, generation: state.generations)
                }
                state.columns.apply(changes)
                return state.columns
            }
        }
    }

    /// The rows of `columns` matching `text`, with their rank: the kept entry brought up to
    /// the columns' mark, or every match read anew.
    func textMatches(_ text: String, in columns: FacetColumns, _ store: ProjectionStore) async throws -> [Int32: Double] {
        let kept = state.withLock { $0.texts.entry(text, generation: columns.generation) }
        // An entry made for newer columns (another search's) may name rows these lack.
        let base = kept.flatMap { $0.mark <= columns.mark ? $0 : nil }
        if let base, base.mark == columns.mark { return base.scores }
        var scores = base?.scores ?? [:]
        for change in try await store.textMatches(text, in: collection, after: base?.mark ?? 0, upTo: columns.mark) {
            guard let row = columns.rowOf[change.subject] else { continue }
            scores[row] = change.score
        }
        let entry = TextMatchCache.Entry(generation: columns.generation, mark: columns.mark, scores: scores)
        state.withLock { $0.texts.keep(text, entry) }
        return scores
    }
}

/// The facet indexes of one ``ProjectionStore`` (shared by its copies), one per collection.
final class FacetIndexes: Sendable {
    private let indexes = Mutex<[String: FacetIndex]>([:])

    func index(for collection: ProjectionCollection) -> FacetIndex {
        indexes.withLock { indexes in
            // A collection configured anew (other facets) starts a new index.
            if let index = indexes[collection.name], index.collection.facets == collection.facets { return index }
            let index = FacetIndex(collection: collection)
            indexes[collection.name] = index
            return index
        }
    }
}
