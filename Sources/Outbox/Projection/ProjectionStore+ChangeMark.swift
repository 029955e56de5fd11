import Foundation
import PostgresNIO

extension ProjectionStore {
    /// A value that grows whenever a document of the collection is written or tombstoned.
    public func changeMark(collection: String) async throws -> Int64 {
        do {
            let rows = try await client.query(
                """
                SELECT coalesce((extract(epoch FROM max(updated_at)) * 1000000)::bigint, 0)
                FROM projection_documents WHERE collection = \(collection)
                """, logger: logger)
            for try await mark in rows.decode(Int64.self) { return mark }
            return 0
        } catch {
            throw StoreError.classify(error)
        }
    }
}
