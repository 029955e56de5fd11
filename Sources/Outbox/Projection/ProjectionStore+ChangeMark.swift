import PostgresNIO

extension ProjectionStore {
    /// A number that grows whenever a document of `collection` is written, tombstoned or
    /// physically deleted, and only then (a write refused as older does not move it): compare
    /// it with the one seen last to know whether anything changed. 0 for a collection never
    /// written. Two index lookups.
    ///
    /// It never goes back: writers of a collection commit in change-number order (migration 9),
    /// a row's number only grows, and a physical delete records a number above all before it.
    public func changeMark(collection: String) async throws -> Int64 {
        let query: PostgresQuery = """
            SELECT greatest(
                (SELECT max(change_seq) FROM projection_documents WHERE collection = \(collection)),
                (SELECT purged_seq FROM projection_marks WHERE collection = \(collection)),
                0
            )::int8
            """
        do {
            for try await mark in try await client.query(query, logger: logger).decode(Int64.self) { return mark }
            return 0
        } catch {
            throw StoreError.classify(error)
        }
    }
}
