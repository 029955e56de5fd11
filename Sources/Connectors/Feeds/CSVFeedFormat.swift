import Outbox

/// RFC 4180 CSV: a header row of column names, then one row per item, CRLF line ends. A field
/// is quoted when it holds the delimiter, a quote or a line break (quotes doubled); a missing
/// value is an empty field; objects and arrays are their JSON text.
public struct CSVFeedFormat: FeedFormat {
    public var columns: [FeedColumn]
    public var delimiter: UInt8

    public init(columns: [FeedColumn], delimiter: Character = ",") {
        self.columns = columns
        self.delimiter = delimiter.asciiValue ?? UInt8(ascii: ",")
    }

    public var contentType: String { "text/csv; charset=utf-8" }
    public var cells: [ProjectionStore.FeedCell] { columns.map { .text($0.pointer) } }

    public func header(into output: inout [UInt8]) {
        row(columns.map(\.name), into: &output)
    }

    public func item(_ row: ProjectionStore.FeedRow, index: Int, into output: inout [UInt8]) throws {
        self.row(row.cells, into: &output)
    }

    public func footer(items: Int, into output: inout [UInt8]) {}

    private func row(_ fields: [String?], into output: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { output.append(delimiter) }
            guard let field else { continue }
            let quote = UInt8(ascii: "\"")
            let needsQuotes = field.utf8.contains {
                $0 == delimiter || $0 == quote || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r")
            }
            guard needsQuotes else {
                output.append(field)
                continue
            }
            output.append(quote)
            for byte in field.utf8 {
                if byte == quote { output.append(quote) }
                output.append(byte)
            }
            output.append(quote)
        }
        output.append("\r\n")
    }
}
