import Outbox

/// An XML document: `<root>` holding one `<item>` element per item, each column a child element
/// with the value as text (escaped; characters XML 1.0 cannot carry are dropped). An absent
/// value is an empty element. Objects and arrays are their JSON text.
public struct XMLFeedFormat: FeedFormat {
    public var root: String
    public var item: String
    public var columns: [FeedColumn]

    public init(root: String = "feed", item: String = "item", columns: [FeedColumn]) {
        self.root = root
        self.item = item
        self.columns = columns
    }

    public var contentType: String { "application/xml; charset=utf-8" }
    public var cells: [ProjectionStore.FeedCell] { columns.map { .text($0.pointer) } }

    /// Whether `name` can be an element name here: a letter or `_` first, then letters,
    /// digits, `-`, `_` and `.` (ASCII only: the names come from config and must be portable).
    public static func isElementName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_",
            !name.lowercased().hasPrefix("xml")
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }

    public func header(into output: inout [UInt8]) {
        output.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root)>\n")
    }

    public func item(_ row: ProjectionStore.FeedRow, index: Int, into output: inout [UInt8]) throws {
        output.append("  <\(item)>\n")
        for (column, value) in zip(columns, row.cells) {
            guard let value else {
                output.append("    <\(column.name)/>\n")
                continue
            }
            output.append("    <\(column.name)>")
            Self.escape(value, into: &output)
            output.append("</\(column.name)>\n")
        }
        output.append("  </\(item)>\n")
    }

    public func footer(items: Int, into output: inout [UInt8]) {
        output.append("</\(root)>\n")
    }

    static func escape(_ text: String, into output: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output.append("&amp;")
            case "<": output.append("&lt;")
            case ">": output.append("&gt;")
            case "\"": output.append("&quot;")
            case "'": output.append("&apos;")
            case "\t", "\n", "\r": output.append(contentsOf: String(scalar).utf8)
            // XML 1.0 has no way to write other control characters, not even as references.
            case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value): continue
            default: output.append(contentsOf: String(scalar).utf8)
            }
        }
    }
}
