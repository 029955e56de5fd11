import Foundation

/// One document's state as the facet index needs it, read from `projection_documents`: what
/// it is filtered, counted and sorted by, without its body.
struct ProjectionChange: Sendable {
    /// The row's change number (migration 9).
    var seq: Int64
    var subject: String
    var deleted: Bool
    /// The version time in whole microseconds since 1970: the newest-first sort key.
    var newestKey: Double
    /// Per facet of the collection, in its order: the keyword, or nil when absent.
    var keywords: [String?]
    /// Per facet of the collection, in its order: the number, or nil when absent or not a number.
    var numbers: [Double?]
}

/// What one refresh read, in one snapshot: every row changed after the mark it asked from, and
/// the collection's latest physical delete.
struct ProjectionChanges: Sendable {
    var purgedSeq: Int64
    var rows: [ProjectionChange]
}
