import Logging
import Outbox

/// Delivers a message into a collection of the current-state projection (and so into its
/// search index): an upsert of the subject's document, or a tombstone for a delete type.
///
/// A message older than what is stored is a success that changes nothing: out-of-order and
/// replayed deliveries must not fail, they must simply lose.
public struct SearchConnector: Connector {
    private let store: ProjectionStore
    private let collection: ProjectionCollection

    public init(store: ProjectionStore, collection: ProjectionCollection) {
        self.store = store
        self.collection = collection
    }

    public func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome {
        let record: ProjectionRecord
        do {
            record = try collection.record(for: delivery.message)
        } catch {
            return DeliveryOutcome(verdict: .permanent, error: "\(error)")
        }
        do {
            let written = try await store.write(record, language: collection.language)
            let what = record.isTombstone ? "deleted" : "stored"
            return DeliveryOutcome(
                verdict: .delivered,
                responseExcerpt: written ? "\(what) in \(collection.name)" : "older than the stored version; ignored"
            )
        } catch {
            return DeliveryOutcome(verdict: .retry(after: nil), error: "projection: \(error)")
        }
    }
}
