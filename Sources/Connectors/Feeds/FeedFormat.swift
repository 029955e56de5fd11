import Outbox

/// How a feed's items become bytes: a header, one piece per item, a footer. Items are rendered
/// one at a time as the projection streams them, so a feed of any size renders in constant memory.
/// The same documents always render to the same bytes (no timestamps), which is what lets an
/// unchanged feed be recognised by its hash.
public protocol FeedFormat: Sendable {
    var contentType: String { get }
    /// What each row must carry, in the order ``item(_:index:into:)`` reads them.
    var cells: [ProjectionStore.FeedCell] { get }
    func header(into output: inout [UInt8])
    /// Appends item number `index` (from 0).
    func item(_ row: ProjectionStore.FeedRow, index: Int, into output: inout [UInt8]) throws
    func footer(items: Int, into output: inout [UInt8])
}

/// A named value of an item: a CSV column, an XML element, a JSON field.
public struct FeedColumn: Sendable, Equatable {
    public var name: String
    public var pointer: JSONPointer

    public init(name: String, pointer: JSONPointer) {
        self.name = name
        self.pointer = pointer
    }
}

extension Array where Element == UInt8 {
    mutating func append(_ text: String) { append(contentsOf: text.utf8) }
}
