import Foundation
import Outbox
import Testing

@Suite struct JSONValueTests {
    @Test func canonicalTextSortsKeysAndKeepsBigIntegers() throws {
        let value = try #require(JSONValue(parsing: #"{"b": 1, "a": {"z": [1, 2.5, "x/y"], "id": 123456789012345678}}"#))
        #expect(value.canonicalText == #"{"a":{"id":123456789012345678,"z":[1,2.5,"x/y"]},"b":1}"#)
    }

    /// The bytes stored and hashed: keys sorted by their UTF-8, empty and nested containers kept.
    @Test func canonicalTextOfNestedDocuments() throws {
        let value = try #require(JSONValue(parsing: #"{"z": {"b": [1, [2, {"y": null, "x": true}], []], "a": {}}, "a": [{}], "é": "caf\u00e9\n\"/", "B": 1.5e300, "10": 0, "9": -0.5}"#))
        #expect(value.canonicalText == #"{"10":0,"9":-0.5,"B":1.5e+300,"a":[{}],"z":{"a":{},"b":[1,[2,{"x":true,"y":null}],[]]},"é":"café\n\"/"}"#)
    }

    @Test func equalDocumentsHashEqually() throws {
        let first = CanonicalMessage(source: "s", type: "t", data: try #require(JSONValue(parsing: #"{"a":1,"b":2}"#)))
        let second = CanonicalMessage(source: "s", type: "t", data: try #require(JSONValue(parsing: #"{ "b":2, "a":1 }"#)))
        #expect(first.contentHash == second.contentHash)
        #expect(first.contentHash.count == 64)
    }

    /// Integral numbers that fit Int64 are integers whatever their spelling; the rest are doubles.
    @Test func numbersKeepTheirKind() throws {
        let text = "[1, -0, 1.0, -0.0, 1e2, 1.5, 0.1, 1e-7, 5e300, 12345678901234567, 9223372036854775807, -9223372036854775808, 12345678901234567890, true, false, null]"
        let value = try #require(JSONValue(parsing: text))
        #expect(value == .array([
            .int(1), .int(0), .int(1), .int(0), .int(100), .double(1.5), .double(0.1), .double(1e-7), .double(5e300),
            .int(12_345_678_901_234_567), .int(.max), .int(.min), .double(1.2345678901234567e19), .bool(true), .bool(false), .null,
        ]))
        #expect(value.canonicalText == "[1,0,1,0,100,1.5,0.1,1e-07,5e+300,12345678901234567,9223372036854775807,-9223372036854775808,1.2345678901234567e+19,true,false,null]")
    }

    /// Parsing and `Codable` decoding are two routes to one value: stored data and its hash must
    /// not depend on which ingress read it.
    @Test(arguments: [
        #"{"order": {"id": 42, "lines": [{"sku": "A-1", "qty": 2, "price": 19.99}], "note": null, "paid": true}}"#,
        #"{"text": "caf\u00e9 \ud83d\ude97 \"quoted\" back\\slash tab\t nul\u0000 ✓", "empty": {}, "none": []}"#,
        #"[[], [[1]], {"": ""}, -1.25e-3, 0]"#,
        #""just a string""#,
        "7",
    ])
    func parsingAgreesWithCodable(text: String) throws {
        let parsed = try #require(JSONValue(parsing: text))
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(parsed == decoded)
        #expect(parsed.canonicalText == decoded.canonicalText)
    }

    @Test(arguments: ["", "{", #"{"a": }"#, "[1,,2]", "[01]", "{} {}", "nul", #"{"a": 1e400}"#, #"["\ud800"]"#])
    func textThatIsNotJSONIsRefused(text: String) {
        #expect(JSONValue(parsing: text) == nil)
    }

    /// Texts assembled by JSONText read back as the strings they were built from, escapes included.
    @Test(arguments: ["plain", "", "quote \" and back\\slash", "line\nbreak\ttab\u{01}", "café/ü", "a/b"])
    func jsonTextQuotesLikeJSONEncoder(value: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        var text = ""
        JSONText.appendString(value, to: &text)
        #expect(text == String(decoding: try encoder.encode(value), as: UTF8.self))
        let object = JSONText.object(["b": value, "a": "x"])
        #expect(object == #"{"a":"x","b":"# + text + "}")
        let decoded = try JSONSerialization.jsonObject(with: Data(object.utf8)) as? [String: String]
        #expect(decoded == ["a": "x", "b": value])
    }
}
