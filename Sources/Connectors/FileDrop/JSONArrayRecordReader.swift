import Foundation
import Outbox

/// A JSON array whose elements are the records: `[{...}, {...}]`. The file is not parsed as one
/// document (a 10 MB array would be held whole); a scan that follows strings and nesting finds
/// each element's bytes and only those are parsed, one at a time.
public struct JSONArrayRecordReader: RecordReader {
    public init() {}

    private enum Place { case beforeArray, beforeElement, inElement, afterElement, afterArray }

    public func read(_ source: inout ByteChunks, _ each: (Result<FileRecord, RecordProblem>) throws -> Void) throws {
        var place = Place.beforeArray
        var element: [UInt8] = []
        var depth = 0
        var inString = false
        var escaped = false
        var line = 1
        var elementLine = 1
        var index = 0
        var first = true

        func finishElement() throws {
            defer {
                element.removeAll(keepingCapacity: true)
                index += 1
            }
            if let value = JSONValue(parsing: Data(element)) {
                try each(.success(FileRecord(index: index, line: elementLine, value: value)))
            } else {
                try each(.failure(RecordProblem(index: index, line: elementLine, reason: "not a JSON value")))
            }
        }

        while var chunk = try source.next() {
            if first {
                first = false
                if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk.removeFirst(3) }
            }
            for byte in chunk {
                if byte == UInt8(ascii: "\n") { line += 1 }
                if place == .inElement {
                    if inString {
                        if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                        element.append(byte)
                        continue
                    }
                    let closes = byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                    if byte == UInt8(ascii: "\"") {
                        inString = true
                    } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                        depth += 1
                    } else if closes && depth > 0 {
                        depth -= 1
                    } else if depth == 0 && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]")) {
                        // A scalar element ends at the comma or the array's closing bracket.
                        try finishElement()
                        place = byte == UInt8(ascii: ",") ? .beforeElement : .afterArray
                        continue
                    }
                    element.append(byte)
                    if depth == 0 && (byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")) {
                        try finishElement()
                        place = .afterElement
                    }
                    continue
                }
                if NDJSONRecordReader.isSpace(byte) { continue }
                switch (place, byte) {
                case (.beforeArray, UInt8(ascii: "[")): place = .beforeElement
                case (.beforeElement, UInt8(ascii: "]")) where index == 0: place = .afterArray
                case (.beforeElement, _):
                    place = .inElement
                    elementLine = line
                    element.append(byte)
                    if byte == UInt8(ascii: "\"") { inString = true }
                    if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth = 1 }
                case (.afterElement, UInt8(ascii: ",")): place = .beforeElement
                case (.afterElement, UInt8(ascii: "]")): place = .afterArray
                case (.beforeArray, _):
                    throw FileProblem(line: line, reason: "expected a JSON array of records")
                default:
                    throw FileProblem(line: line, reason: "unexpected '\(Unicode.Scalar(byte))' between records")
                }
            }
        }
        guard place == .afterArray else {
            throw FileProblem(line: line, reason: place == .beforeArray ? "expected a JSON array of records" : "the file ends inside the array")
        }
    }
}
