import Foundation
import Mustache
import Outbox

/// A Mustache template rendered once per item with the item's document as its context, between
/// a fixed header and footer (so the feed streams: no template ever sees the whole collection).
/// `{{name}}` escapes for HTML/XML; `{{{name}}}` writes the value as is.
public struct MustacheFeedFormat: FeedFormat {
    private let template: MustacheTemplate
    public var header: String
    public var footer: String
    public var contentType: String

    /// Throws when `template` is not valid Mustache (the error says where).
    public init(template: String, header: String = "", footer: String = "", contentType: String = "text/plain; charset=utf-8")
        throws
    {
        self.template = try MustacheTemplate(string: template)
        self.header = header
        self.footer = footer
        self.contentType = contentType
    }

    public var cells: [ProjectionStore.FeedCell] { [.document] }

    public func header(into output: inout [UInt8]) { output.append(header) }

    public func item(_ row: ProjectionStore.FeedRow, index: Int, into output: inout [UInt8]) throws {
        guard let text = row.cells[0], let document = JSONValue(parsing: text) else {
            throw FeedRenderError(subject: row.subject, message: "the stored document is not JSON")
        }
        output.append(template.render(Self.context(document)))
    }

    public func footer(items: Int, into output: inout [UInt8]) { output.append(footer) }

    /// The document as the dictionaries, arrays and scalars Mustache walks.
    static func context(_ value: JSONValue) -> Any {
        switch value {
        case .null: return Optional<String>.none as Any
        case .bool(let flag): return flag
        case .int(let number): return number
        case .double(let number): return number
        case .string(let text): return text
        case .array(let items): return items.map(context)
        case .object(let fields): return fields.mapValues(context)
        }
    }
}

/// An item a feed could not render.
public struct FeedRenderError: Error, CustomStringConvertible {
    public var subject: String
    public var message: String
    public var description: String { "item \(subject): \(message)" }
}
