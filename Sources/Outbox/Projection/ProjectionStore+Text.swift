import PostgresNIO

extension ProjectionStore {
    /// The text matches of `collection` as of change number `mark`, Postgres's GIN index on the
    /// tsvector answering: from 0, every live document matching `text` with its rank; from a
    /// later number, every document changed since, with its rank or nil when it no longer
    /// matches (or is gone). Rows changed after `mark` are left for a later call: the facet
    /// index being used reflects exactly the changes up to `mark`.
    func textMatches(_ text: String, in collection: ProjectionCollection, after from: Int64, upTo mark: Int64)
        async throws -> [(subject: String, score: Double?)]
    {
        let language = collection.language
        let query: PostgresQuery = from == 0
            ? """
                SELECT subject, ts_rank(search, websearch_to_tsquery(\(language)::regconfig, \(text)))::float8
                FROM projection_documents
                WHERE collection = \(collection.name) AND NOT deleted
                    AND search @@ websearch_to_tsquery(\(language)::regconfig, \(text)) AND change_seq <= \(mark)
                """
            : """
                SELECT subject, CASE WHEN NOT deleted AND search @@ websearch_to_tsquery(\(language)::regconfig, \(text))
                    THEN ts_rank(search, websearch_to_tsquery(\(language)::regconfig, \(text)))::float8 END
                FROM projection_documents
                WHERE collection = \(collection.name) AND change_seq > \(from) AND change_seq <= \(mark)
                """
        var matches: [(subject: String, score: Double?)] = []
        for try await (subject, score) in try await client.query(query, logger: logger).decode((String, Double?).self) {
            matches.append((subject, score))
        }
        return matches
    }
}
