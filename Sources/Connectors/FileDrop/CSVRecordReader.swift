import Outbox

/// CSV as RFC 4180 has it: a header row naming the fields, fields separated by `delimiter`,
/// optionally quoted with `"` (a quote inside doubled), records ended by CRLF or LF; a quoted
/// field may span lines. Each record becomes a JSON object of strings keyed by the header.
/// A UTF-8 byte order mark is skipped and blank lines are ignored.
public struct CSVRecordReader: RecordReader {
    public var delimiter: UInt8

    public init(delimiter: UInt8 = UInt8(ascii: ",")) {
        self.delimiter = delimiter
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    public func read(_ source: inout ByteChunks, _ each: (Result<FileRecord, RecordProblem>) throws -> Void) throws {
        var header: [String]?
        var fields: [String] = []
        var field: [UInt8] = []
        var state = State.fieldStart
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var index = 0
        var afterCR = false
        var first = true

        func endField() throws {
            guard let text = String(validating: field, as: UTF8.self) else {
                throw FileProblem(line: line, reason: "not UTF-8 text")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
        }

        func endRecord() throws {
            try endField()
            defer { fields.removeAll(keepingCapacity: true) }
            if fields.count == 1 && fields[0].isEmpty { return }  // a blank line
            guard let names = header else {
                if let blank = fields.firstIndex(where: \.isEmpty) {
                    throw FileProblem(line: recordLine, reason: "header field \(blank + 1) is empty")
                }
                if let repeated = fields.enumerated().first(where: { fields[..<$0.offset].contains($0.element) }) {
                    throw FileProblem(line: recordLine, reason: "header names '\(repeated.element)' twice")
                }
                header = fields
                return
            }
            defer { index += 1 }
            guard fields.count == names.count else {
                try each(.failure(RecordProblem(
                    index: index, line: recordLine, reason: "has \(fields.count) fields, the header has \(names.count)")))
                return
            }
            var object: [String: JSONValue] = [:]
            for (name, value) in zip(names, fields) { object[name] = .string(value) }
            try each(.success(FileRecord(index: index, line: recordLine, value: .object(object))))
        }

        while var chunk = try source.next() {
            if first {
                first = false
                if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk.removeFirst(3) }
            }
            for byte in chunk {
                if afterCR {
                    afterCR = false
                    if byte == UInt8(ascii: "\n") { continue }  // the LF of a CRLF
                }
                switch state {
                case .quoted:
                    if byte == UInt8(ascii: "\"") {
                        state = .quoteInQuoted
                    } else {
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        field.append(byte)
                    }
                case .fieldStart, .unquoted, .quoteInQuoted:
                    if byte == UInt8(ascii: "\"") && state == .quoteInQuoted {
                        field.append(byte)  // "" inside a quoted field
                        state = .quoted
                    } else if byte == UInt8(ascii: "\"") && state == .fieldStart {
                        state = .quoted
                        quoteLine = line
                    } else if byte == delimiter {
                        try endField()
                        state = .fieldStart
                    } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                        try endRecord()
                        afterCR = byte == UInt8(ascii: "\r")
                        line += 1
                        recordLine = line
                        state = .fieldStart
                    } else if state == .quoteInQuoted {
                        throw FileProblem(line: line, reason: "text after the closing quote of a field")
                    } else if byte == UInt8(ascii: "\"") {
                        throw FileProblem(line: line, reason: "a quote inside an unquoted field")
                    } else {
                        field.append(byte)
                        state = .unquoted
                    }
                }
            }
        }
        if state == .quoted {
            throw FileProblem(line: quoteLine, reason: "a quoted field is never closed")
        }
        if state != .fieldStart || !fields.isEmpty { try endRecord() }
        if header == nil { throw FileProblem(line: 1, reason: "no header row") }
    }
}
