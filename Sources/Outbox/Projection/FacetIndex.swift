import Synchronization

/// A collection's ``FacetColumns``, kept current from Postgres: before every search it reads
/// the rows changed since its mark (one indexed query, nearly free when nothing changed), so a
/// search sees every write committed before it began, whichever hub process made it.
///
/// Refreshes take turns (``TurnLock``): each applies its changes in order onto the last one's,
/// and a cold index loads once, not once per waiting search. A search waits only for the
/// refreshes queued before it, then counts on its own copy while the next refresh runs.
final class FacetIndex: Sendable {
    let collection: ProjectionCollection
    private let state: Mutex<FacetColumns>
    private let turns = TurnLock()

    init(collection: ProjectionCollection) {
        self.collection = collection
        state = Mutex(FacetColumns(facets: collection.facets))
    }

    /// The columns as of now: every change committed before this call is in them.
    func current(_ store: ProjectionStore) async throws -> FacetColumns {
        try await turns.withTurn {
            let (mark, purgedSeq) = state.withLock { ($0.mark, $0.purgedSeq) }
            var changes = try await store.changes(in: collection, after: mark)
            // Rows deleted outright (not tombstoned) leave no row to read: start over from 0.
            let purged = mark > 0 && changes.purgedSeq > purgedSeq
            if purged { changes = try await store.changes(in: collection, after: 0) }
            return state.withLock { columns in
                if purged { columns = FacetColumns(facets: collection.facets) }
                columns.apply(changes)
                return columns
            }
        }
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
