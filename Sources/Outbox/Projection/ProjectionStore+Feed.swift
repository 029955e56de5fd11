import Foundation
import PostgresNIO

/// What a feed renders from: each live document of a collection, in subject order (so the same
/// documents always make the same bytes), with the values the feed's format needs extracted by
/// Postgres rather than by parsing every document here.
extension ProjectionStore {
    /// One value a feed row carries.
    public enum FeedCell: Sendable, Equatable {
        /// The value at the pointer as text (strings unquoted, others as JSON); nil when absent.
        case text(JSONPointer)
        /// The value at the pointer as JSON text; nil when absent.
        case json(JSONPointer)
        /// The whole document as JSON text.
        case document
    }

    public struct FeedRow: Sendable {
        public var subject: String
        public var cells: [String?]

        public init(subject: String, cells: [String?]) {
            self.subject = subject
            self.cells = cells
        }
    }

    /// Streams the collection's live documents whose facets contain `facets` (equality on facet
    /// values; empty: all), in subject order. Rows arrive as the caller consumes them, so memory
    /// holds a window of rows, not the collection.
    public func feedRows(
        collection: String, facets: [String: JSONValue], cells: [FeedCell],
        _ body: (FeedRow) async throws -> Void
    ) async throws {
        var sql = BoundSQL()
        let selected = cells.map { cell -> String in
            switch cell {
            case .text(let pointer): "document #>> \(sql.bind(pointer.tokens))"
            case .json(let pointer): "(document #> \(sql.bind(pointer.tokens)))::text"
            case .document: "document::text"
            }
        }
        sql.append("SELECT " + (["subject"] + selected).joined(separator: ", "))
        sql.append(" FROM projection_documents WHERE collection = \(sql.bind(collection)) AND NOT deleted")
        if !facets.isEmpty { sql.append(" AND facets @> \(sql.bind(JSONValue.object(facets).canonicalText))::jsonb") }
        // Byte order, not the database's collation: the same documents make the same file everywhere.
        sql.append(" ORDER BY subject COLLATE \"C\"")
        do {
            let rows = try await client.query(sql.query, logger: logger)
            for try await row in rows {
                let columns = row.makeRandomAccess()
                var values: [String?] = []
                values.reserveCapacity(cells.count)
                for index in cells.indices { values.append(try columns[index + 1].decode(String?.self)) }
                try await body(FeedRow(subject: try columns[0].decode(String.self), cells: values))
            }
        } catch {
            throw StoreError.classify(error)
        }
    }
}
