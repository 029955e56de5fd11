import Foundation
import Logging
import PostgresNIO

/// The current-state projection: per collection, the latest document per subject.
///
/// Every write is one statement that refuses an older version, so messages may arrive out of
/// order, twice, or replayed, and the stored document is always the newest message's.
public struct ProjectionStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// Built on first search, per collection, and shared by copies of this store.
    let indexes = FacetIndexes()

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Writes `record` unless the stored version is the same or newer (by message time, then
    /// id). Returns whether it was written. A tombstone keeps its version, so an upsert older
    /// than the delete does not bring the document back.
    @discardableResult
    public func write(_ record: ProjectionRecord, language: String) async throws -> Bool {
        let text = { (weight: ProjectionCollection.Weight) in record.text[weight] ?? "" }
        let query: PostgresQuery = """
            INSERT INTO projection_documents AS t
                (collection, subject, version_time, version_id, deleted, document, facets, search)
            VALUES (
                \(record.collection), \(record.subject), \(record.versionTime), \(record.versionId),
                \(record.isTombstone), \(record.document)::jsonb, \(record.facets)::jsonb,
                setweight(to_tsvector(\(language)::regconfig, \(text(.A))), 'A')
                || setweight(to_tsvector(\(language)::regconfig, \(text(.B))), 'B')
                || setweight(to_tsvector(\(language)::regconfig, \(text(.C))), 'C')
                || setweight(to_tsvector(\(language)::regconfig, \(text(.D))), 'D')
            )
            ON CONFLICT (collection, subject) DO UPDATE SET
                version_time = excluded.version_time, version_id = excluded.version_id,
                deleted = excluded.deleted, document = excluded.document, facets = excluded.facets,
                search = excluded.search, updated_at = now()
            WHERE (excluded.version_time, excluded.version_id) > (t.version_time, t.version_id)
            RETURNING true
            """
        do {
            let rows = try await client.query(query, logger: logger)
            for try await _ in rows { return true }
            return false
        } catch {
            throw StoreError.classify(error)
        }
    }

    /// What the projection holds for a subject: its document (nil once deleted) and version.
    public struct Stored: Sendable, Equatable {
        public var document: String?
        public var versionId: UUID
        public var deleted: Bool
    }

    public func stored(collection: String, subject: String) async throws -> Stored? {
        let query: PostgresQuery = """
            SELECT document::text, version_id, deleted FROM projection_documents
            WHERE collection = \(collection) AND subject = \(subject)
            """
        do {
            let rows = try await client.query(query, logger: logger)
            for try await (document, id, deleted) in rows.decode((String?, UUID, Bool).self) {
                return Stored(document: document, versionId: id, deleted: deleted)
            }
            return nil
        } catch {
            throw StoreError.classify(error)
        }
    }
}
