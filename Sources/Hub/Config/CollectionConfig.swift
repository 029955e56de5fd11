import Outbox

/// A collection of the current-state projection and the public search API over it.
struct CollectionConfig: Sendable {
    var projection: ProjectionCollection
    /// The parts of a document a search hit shows; everything else stays private.
    var publicFields: [JSONPointer] = []
    /// When set, searches need `Authorization: Bearer <token>`; otherwise they are public.
    var token: String?
    /// Searches per second per client address.
    var rate = RateLimit(perSecond: 20, burst: 40)

    var name: String { projection.name }
}
