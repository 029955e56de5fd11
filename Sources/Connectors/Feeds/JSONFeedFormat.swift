import Outbox

/// A JSON array, one item per line: each item the whole document, or, with columns, an object
/// of those fields in column order (absent values are null).
public struct JSONFeedFormat: FeedFormat {
    /// Empty: each item is the whole document.
    public var columns: [FeedColumn]

    public init(columns: [FeedColumn] = []) {
        self.columns = columns
    }

    public var contentType: String { "application/json" }

    public var cells: [ProjectionStore.FeedCell] {
        columns.isEmpty ? [.document] : columns.map { .json($0.pointer) }
    }

    public func header(into output: inout [UInt8]) { output.append("[") }

    public func item(_ row: ProjectionStore.FeedRow, index: Int, into output: inout [UInt8]) throws {
        output.append(index == 0 ? "\n" : ",\n")
        guard !columns.isEmpty else {
            output.append(row.cells[0] ?? "null")
            return
        }
        output.append("{")
        for (position, (column, value)) in zip(columns, row.cells).enumerated() {
            if position > 0 { output.append(",") }
            output.append(JSONValue.string(column.name).canonicalText)
            output.append(":")
            output.append(value ?? "null")
        }
        output.append("}")
    }

    public func footer(items: Int, into output: inout [UInt8]) {
        output.append(items == 0 ? "]\n" : "\n]\n")
    }
}
