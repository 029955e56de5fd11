import Foundation
import PostgresNIO

/// Search over the projection: filters, facet counts and the order of hits come from the
/// collection's in-process ``FacetIndex``; Postgres answers the text (its GIN index on the
/// tsvector gives the matching subjects and their rank, kept per text and refreshed by change
/// number) and the page's documents.
extension ProjectionStore {
    public func search(_ query: SearchQuery, in collection: ProjectionCollection) async throws -> SearchResult {
        do {
            let index = indexes.index(for: collection)
            let columns = try await index.current(self)
            var matches: [Int32: Double]?
            if let text = query.text { matches = try await index.textMatches(text, in: columns, self) }
            let answer = columns.answer(query, textMatches: matches)
            let documents = try await documents(answer.hits.map { columns.subjects[Int($0.row)] }, in: collection)
            // A document tombstoned since the index was read is left out of the page.
            let hits = answer.hits.compactMap { hit -> SearchResult.Hit? in
                let subject = columns.subjects[Int(hit.row)]
                return documents[subject].map { .init(subject: subject, document: $0, score: hit.score, sortKey: hit.sortKey) }
            }
            return SearchResult(total: answer.total, hits: hits, hasMore: answer.hasMore, facets: answer.facets)
        } catch {
            throw StoreError.classify(error)
        }
    }

    /// The stored documents of `subjects` as JSON text, by subject.
    private func documents(_ subjects: [String], in collection: ProjectionCollection) async throws -> [String: String] {
        guard !subjects.isEmpty else { return [:] }
        let query: PostgresQuery = """
            SELECT subject, document::text FROM projection_documents
            WHERE collection = \(collection.name) AND subject = ANY(\(subjects)) AND NOT deleted
            """
        var documents: [String: String] = [:]
        for try await (subject, document) in try await client.query(query, logger: logger).decode((String, String).self) {
            documents[subject] = document
        }
        return documents
    }
}
