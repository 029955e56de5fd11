import Foundation
import Outbox

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// XML whose records are the elements at `recordPath` (names from the root, e.g.
/// `inventory/vehicle`). A record becomes a JSON object: attributes as `@name`, child elements by
/// name (a repeated name becomes an array), an element with only text as its string, text next to
/// attributes or children as `#text`. The file streams through Foundation's SAX parser, so only
/// the current record is held.
public struct XMLRecordReader: RecordReader {
    public var recordPath: [String]

    public init(recordPath: [String]) {
        self.recordPath = recordPath
    }

    public func read(_ source: inout ByteChunks, _ each: (Result<FileRecord, RecordProblem>) throws -> Void) throws {
        let collector = RecordCollector(recordPath: recordPath)
        let parser = XMLParser(stream: ChunkStream(&source))
        parser.delegate = collector
        parser.shouldResolveExternalEntities = false  // no XXE: a dropped file names no other files
        let parsed = withoutActuallyEscaping(each) { each in
            collector.emit = { record in try each(.success(record)) }
            defer { collector.emit = nil }
            return parser.parse()
        }
        if let failure = collector.failure { throw failure }
        guard parsed else {
            let reason = parser.parserError.map { "not well-formed XML (\(($0 as NSError).code))" } ?? "not well-formed XML"
            throw FileProblem(line: collector.errorLine ?? parser.lineNumber, reason: reason)
        }
        if !collector.sawRoot {
            throw FileProblem(line: 1, reason: "no root element")
        }
    }
}

/// Builds the records from the parser's callbacks.
private final class RecordCollector: NSObject, XMLParserDelegate {
    final class Node {
        var name: String
        var attributes: [String: String]
        var children: [(String, JSONValue)] = []
        var text = ""
        init(name: String, attributes: [String: String]) {
            self.name = name
            self.attributes = attributes
        }

        var value: JSONValue {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if attributes.isEmpty && children.isEmpty { return .string(trimmed) }
            var object: [String: JSONValue] = [:]
            for (name, value) in attributes { object["@" + name] = .string(value) }
            var repeats: [String: [JSONValue]] = [:]
            for (name, value) in children { repeats[name, default: []].append(value) }
            for (name, values) in repeats { object[name] = values.count == 1 ? values[0] : .array(values) }
            if !trimmed.isEmpty { object["#text"] = .string(trimmed) }
            return .object(object)
        }
    }

    let recordPath: [String]
    var path: [String] = []
    var stack: [Node] = []
    var recordLine = 0
    var index = 0
    var sawRoot = false
    var failure: Error?
    /// Where libxml2 stood when it found the error; by the time parse() returns it has moved on.
    var errorLine: Int?
    var emit: ((FileRecord) throws -> Void)?

    init(recordPath: [String]) {
        self.recordPath = recordPath
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        sawRoot = true
        path.append(name)
        if !stack.isEmpty || path == recordPath {
            if stack.isEmpty { recordLine = parser.lineNumber }
            stack.append(Node(name: name, attributes: attributes))
        }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        if errorLine == nil { errorLine = parser.lineNumber }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        stack.last?.text += String(decoding: block, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        defer { path.removeLast() }
        guard let node = stack.popLast() else { return }
        if let parent = stack.last {
            parent.children.append((name, node.value))
            return
        }
        defer { index += 1 }
        do {
            try emit?(FileRecord(index: index, line: recordLine, value: node.value))
        } catch {
            failure = error
            parser.abortParsing()
        }
    }
}

/// Feeds the parser from ``ByteChunks``.
private final class ChunkStream: InputStream {
    private var chunks: ByteChunks
    private var buffer: [UInt8] = []
    private var offset = 0
    private var ended = false
    private var status: Stream.Status = .notOpen

    init(_ chunks: inout ByteChunks) {
        self.chunks = chunks
        super.init(data: Data())
    }

    override func open() { status = .open }
    override func close() { status = .closed }
    override var streamStatus: Stream.Status { status }
    override var hasBytesAvailable: Bool { !ended }

    override func read(_ destination: UnsafeMutablePointer<UInt8>, maxLength: Int) -> Int {
        if offset == buffer.count {
            guard let next = try? chunks.next() else {
                ended = true
                status = .atEnd
                return 0
            }
            buffer = next
            offset = 0
        }
        let count = min(maxLength, buffer.count - offset)
        buffer.withUnsafeBufferPointer { bytes in
            destination.update(from: bytes.baseAddress! + offset, count: count)
        }
        offset += count
        return count
    }
}
