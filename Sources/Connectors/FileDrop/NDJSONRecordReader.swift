import Foundation
import Outbox

/// Newline-delimited JSON: one JSON document per line; blank lines are ignored.
public struct NDJSONRecordReader: RecordReader {
    public init() {}

    public func read(_ source: inout ByteChunks, _ each: (Result<FileRecord, RecordProblem>) throws -> Void) throws {
        var pending: [UInt8] = []
        var line = 0
        var index = 0

        func emit(_ bytes: ArraySlice<UInt8>) throws {
            line += 1
            var text = bytes
            if text.last == UInt8(ascii: "\r") { text.removeLast() }
            guard text.contains(where: { !Self.isSpace($0) }) else { return }
            defer { index += 1 }
            if let value = JSONValue(parsing: Data(text)) {
                try each(.success(FileRecord(index: index, line: line, value: value)))
            } else {
                try each(.failure(RecordProblem(index: index, line: line, reason: "not a JSON document")))
            }
        }

        var first = true
        while var chunk = try source.next() {
            if first {
                first = false
                if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk.removeFirst(3) }
            }
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if pending.isEmpty {
                    try emit(chunk[start..<newline])
                } else {
                    pending.append(contentsOf: chunk[start..<newline])
                    try emit(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = newline + 1
            }
            pending.append(contentsOf: chunk[start...])
        }
        if !pending.isEmpty { try emit(pending[...]) }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
