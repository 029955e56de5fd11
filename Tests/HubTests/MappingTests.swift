import Foundation
import Outbox
import Testing

@testable import Hub

/// JSON pointers (RFC 6901), type templates, redaction and trimming on their own.
@Suite struct MappingTests {
    let document = JSONValue(parsing: #"{"a/b": 1, "m~n": 2, "list": [{"x": " y "}, 3], "": 4, "event": "sold"}"#)!

    @Test func pointersFollowRFC6901() {
        #expect(JSONPointer("")?.resolve(in: document) == document)
        #expect(JSONPointer("/a~1b")?.resolve(in: document) == .int(1))
        #expect(JSONPointer("/m~0n")?.resolve(in: document) == .int(2))
        #expect(JSONPointer("/list/0/x")?.resolve(in: document) == .string(" y "))
        #expect(JSONPointer("/list/1")?.resolve(in: document) == .int(3))
        #expect(JSONPointer("/list/01")?.resolve(in: document) == nil)  // no leading zeros
        #expect(JSONPointer("/list/2")?.resolve(in: document) == nil)
        #expect(JSONPointer("/list/-1")?.resolve(in: document) == nil)
        #expect(JSONPointer("/list/+1")?.resolve(in: document) == nil)
        #expect(JSONPointer("/")?.resolve(in: document) == .int(4))
        #expect(JSONPointer("list") == nil)
    }

    @Test func redactionRemovesOnlyWhatIsThere() {
        var copy = document
        let cleaner = PayloadCleaner(redact: [JSONPointer("/list/0/x")!, JSONPointer("/missing/deep")!], trim: true)
        #expect(cleaner.redact(&copy))
        #expect(JSONPointer("/list/0")?.resolve(in: copy) == .object([:]))
        var untouched = document
        #expect(!PayloadCleaner(redact: [JSONPointer("/nope")!]).redact(&untouched))
        #expect(untouched == document)
    }

    @Test func trimmingReachesEveryString() {
        let trimmed = PayloadCleaner(trim: true).trimmed(document)
        #expect(JSONPointer("/list/0/x")?.resolve(in: trimmed) == .string("y"))
        #expect(PayloadCleaner().trimmed(document) == document)
    }

    @Test func typeTemplatesFillInValues() throws {
        let template = try TypeTemplate("inventory.{/event}.v{/list/1}")
        guard case .success(let type) = template.render(document) else { Issue.record("no type"); return }
        #expect(type == "inventory.sold.v3")
        guard case .failure(let missing) = try TypeTemplate("x.{/nope}").render(document) else {
            Issue.record("a missing value must fail"); return
        }
        #expect(missing.pointer.description == "/nope")
        #expect(throws: TypeTemplate.TemplateError.self) { try TypeTemplate("x.{event}") }
        #expect(throws: TypeTemplate.TemplateError.self) { try TypeTemplate("x.}") }
    }
}
