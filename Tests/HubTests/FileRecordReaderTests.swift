import Foundation
import Outbox
import Testing

@testable import Connectors

/// The record readers of SFTP drops, on the partner files in `fixtures/sftp/` and on broken ones.
@Suite struct FileRecordReaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/sftp").standardized

    /// Everything a reader reports for `url`, read `chunkSize` bytes at a time.
    func outcomes(_ reader: some RecordReader, _ url: URL, chunkSize: Int = ByteChunks.defaultChunkSize) throws
        -> [Result<FileRecord, RecordProblem>]
    {
        var chunks = try ByteChunks(reading: url, chunkSize: chunkSize)
        defer { chunks.close() }
        var seen: [Result<FileRecord, RecordProblem>] = []
        try reader.read(&chunks) { seen.append($0) }
        return seen
    }

    func records(_ reader: some RecordReader, _ url: URL, chunkSize: Int = ByteChunks.defaultChunkSize) throws -> [FileRecord] {
        try outcomes(reader, url, chunkSize: chunkSize).map { try $0.get() }
    }

    func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-records-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func csvQuotingFollowsRFC4180() throws {
        let rows = try records(CSVRecordReader(), Self.fixtures.appendingPathComponent("inventory.csv"))
        #expect(rows.map(\.index) == [0, 1, 2])
        #expect(rows.map(\.line) == [2, 3, 4])
        #expect(rows[0].value["description"] == .string("One owner, clean history"))
        #expect(rows[1].value["description"] == .string(#"Says "like new"; FSD not included"#))
        #expect(rows[2].value["description"] == .string("Two-line note:\nnew tyres"))
        #expect(rows[2].value["year"] == .string("2013"))
    }

    /// A reader must not care where the file's chunks happen to end.
    @Test(arguments: [1, 2, 3, 7, 64])
    func everyReaderGivesTheSameRecordsWhateverTheChunkSize(_ chunkSize: Int) throws {
        let readers: [(any RecordReader, String)] = [
            (CSVRecordReader(), "inventory.csv"), (NDJSONRecordReader(), "inventory.ndjson"),
            (JSONArrayRecordReader(), "inventory.json"), (XMLRecordReader(recordPath: ["inventory", "vehicle"]), "inventory.xml"),
        ]
        for (reader, name) in readers {
            let url = Self.fixtures.appendingPathComponent(name)
            #expect(try records(reader, url, chunkSize: chunkSize) == records(reader, url), "\(name)")
            #expect(try records(reader, url).count == 3, "\(name)")
        }
    }

    @Test func aCSVRowWithTheWrongFieldCountIsReportedAndTheRestRead() throws {
        let url = try file("vin,price\nA,1\nB\nC,3,extra\nD,4\n")
        let seen = try outcomes(CSVRecordReader(), url)
        #expect(seen.count == 4)
        #expect(seen[1] == .failure(RecordProblem(index: 1, line: 3, reason: "has 1 fields, the header has 2")))
        #expect(seen[2] == .failure(RecordProblem(index: 2, line: 4, reason: "has 3 fields, the header has 2")))
        #expect(try seen[3].get().value == .object(["vin": .string("D"), "price": .string("4")]))
        #expect(try seen[3].get().index == 3)
    }

    @Test func aCSVThatCannotBeReadOnNamesTheLine() throws {
        let cases: [(String, FileProblem)] = [
            ("a,b\n1,\"open\n2,3\n", FileProblem(line: 2, reason: "a quoted field is never closed")),
            ("a,b\n1,\"x\"y\n", FileProblem(line: 2, reason: "text after the closing quote of a field")),
            ("a,a\n1,2\n", FileProblem(line: 1, reason: "header names 'a' twice")),
            ("", FileProblem(line: 1, reason: "no header row")),
        ]
        for (text, problem) in cases {
            #expect(throws: problem) { try outcomes(CSVRecordReader(), try file(text)) }
        }
    }

    @Test func csvTakesAnotherDelimiterAndSkipsABOM() throws {
        let url = try file("\u{FEFF}vin;note\r\nA;\"x;y\"\r\n")
        let rows = try records(CSVRecordReader(delimiter: UInt8(ascii: ";")), url)
        #expect(rows.map(\.value) == [.object(["vin": .string("A"), "note": .string("x;y")])])
    }

    @Test func ndjsonSkipsBlankLinesAndReportsABadOne() throws {
        let rows = try records(NDJSONRecordReader(), Self.fixtures.appendingPathComponent("inventory.ndjson"))
        #expect(rows.map(\.line) == [1, 2, 4])
        #expect(rows[2].value["year"] == .int(2013))
        let seen = try outcomes(NDJSONRecordReader(), try file("{\"a\":1}\n{\"a\":\n{\"a\":3}"))
        #expect(seen[1] == .failure(RecordProblem(index: 1, line: 2, reason: "not a JSON document")))
        #expect(try seen[2].get().value == .object(["a": .int(3)]))
    }

    @Test func aJSONArrayIsSplitIntoItsElements() throws {
        let rows = try records(JSONArrayRecordReader(), Self.fixtures.appendingPathComponent("inventory.json"))
        #expect(rows.map(\.line) == [2, 3, 4])
        #expect(rows[0].value["note"] == .string("brackets ] and, commas"))
        #expect(rows[0].value["options"] == .array([.string("sunroof"), .string("heated seats")]))
        #expect(rows[1].value["note"] == .string(#"an "escaped" quote"#))
        #expect(rows[2].value["options"] == .array([.object(["code": .string("M")])]))
        #expect(try records(JSONArrayRecordReader(), try file("[1, \"two\", [3]]")).map(\.value) == [.int(1), .string("two"), .array([.int(3)])])
        #expect(try records(JSONArrayRecordReader(), try file(" [ ] ")).isEmpty)
    }

    @Test func aBrokenJSONArrayIsAFileProblem() throws {
        #expect(throws: FileProblem(line: 1, reason: "expected a JSON array of records")) {
            try outcomes(JSONArrayRecordReader(), try file("{\"a\":1}"))
        }
        #expect(throws: FileProblem(line: 2, reason: "the file ends inside the array")) {
            try outcomes(JSONArrayRecordReader(), try file("[{\"a\":1},\n{\"a\":"))
        }
        let seen = try outcomes(JSONArrayRecordReader(), try file("[{\"a\":tru}, {\"a\":2}]"))
        #expect(seen.first == .failure(RecordProblem(index: 0, line: 1, reason: "not a JSON value")))
        #expect(seen.count == 2)
    }

    @Test func xmlRecordsKeepAttributesRepeatsAndText() throws {
        let rows = try records(XMLRecordReader(recordPath: ["inventory", "vehicle"]), Self.fixtures.appendingPathComponent("inventory.xml"))
        #expect(rows.map(\.line) == [3, 11, 19])
        #expect(rows[0].value["@vin"] == .string("1HGCM82633A004352"))
        #expect(rows[0].value["option"] == .array([.string("sunroof"), .string("heated seats")]))
        #expect(rows[0].value["price"] == .object(["@currency": .string("USD"), "#text": .string("23995")]))
        #expect(rows[1].value["note"] == .string(#"Says "like new" & <no> FSD"#))
        #expect(rows[2].value["model"] == .string("328i & more"))
    }

    @Test func brokenXMLIsAFileProblemOnItsLine() throws {
        let url = try file("<inventory>\n<vehicle><make>Honda</vehicle>\n</inventory>")
        let problem = try #require(throws: FileProblem.self) {
            try outcomes(XMLRecordReader(recordPath: ["inventory", "vehicle"]), url)
        }
        #expect(problem.line == 2, "\(problem)")
    }

    @Test func xmlEntitiesNamingFilesAreNotRead() throws {
        let secret = try file("SECRET-CONTENT")
        let url = try file("""
            <?xml version="1.0"?>
            <!DOCTYPE inventory [<!ENTITY x SYSTEM "file://\(secret.path)">]>
            <inventory><vehicle><make>&x;</make></vehicle></inventory>
            """)
        let seen = (try? outcomes(XMLRecordReader(recordPath: ["inventory", "vehicle"]), url)) ?? []
        #expect(!seen.contains { (try? $0.get().value["make"]) == .string("SECRET-CONTENT") })
    }
}

extension JSONValue {
    fileprivate subscript(_ key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}
