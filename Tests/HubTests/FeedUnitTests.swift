import Foundation
import Outbox
import Testing

@testable import Connectors
@testable import Hub

/// Formats, schedules and decisions of dealer feeds, without a database.
@Suite struct FeedFormatUnitTests {
    func render(_ format: some FeedFormat, _ rows: [[String?]]) throws -> String {
        var output: [UInt8] = []
        format.header(into: &output)
        for (index, cells) in rows.enumerated() {
            try format.item(ProjectionStore.FeedRow(subject: "S\(index)", cells: cells), index: index, into: &output)
        }
        format.footer(items: rows.count, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    let columns = [FeedColumn(name: "vin", pointer: JSONPointer("/vin")!), FeedColumn(name: "note", pointer: JSONPointer("/note")!)]

    @Test func csvQuotesOnlyWhatNeedsIt() throws {
        let text = try render(CSVFeedFormat(columns: columns), [
            ["V1", "plain"], ["V2", "a, b"], ["V3", "say \"hi\""], ["V4", "two\nlines"], ["V5", nil],
        ])
        #expect(text == "vin,note\r\nV1,plain\r\nV2,\"a, b\"\r\nV3,\"say \"\"hi\"\"\"\r\nV4,\"two\nlines\"\r\nV5,\r\n")
    }

    @Test func csvWithAnotherDelimiter() throws {
        let text = try render(CSVFeedFormat(columns: columns, delimiter: ";"), [["V1", "a, b"], ["V2", "a;b"]])
        #expect(text == "vin;note\r\nV1;a, b\r\nV2;\"a;b\"\r\n")
    }

    @Test func xmlEscapesAndDropsWhatXMLCannotCarry() throws {
        let text = try render(XMLFeedFormat(root: "inventory", item: "vehicle", columns: columns), [
            ["V1", "Tom & Jerry <\"cars\"> 'n' more\u{01}"], ["V2", nil],
        ])
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <inventory>
              <vehicle>
                <vin>V1</vin>
                <note>Tom &amp; Jerry &lt;&quot;cars&quot;&gt; &apos;n&apos; more</note>
              </vehicle>
              <vehicle>
                <vin>V2</vin>
                <note/>
              </vehicle>
            </inventory>

            """)
    }

    @Test func xmlElementNames() {
        #expect(XMLFeedFormat.isElementName("price_usd"))
        #expect(XMLFeedFormat.isElementName("dealer.id"))
        #expect(!XMLFeedFormat.isElementName("1st"))
        #expect(!XMLFeedFormat.isElementName("a b"))
        #expect(!XMLFeedFormat.isElementName("xmlthing"))
        #expect(!XMLFeedFormat.isElementName("<x>"))
    }

    @Test func jsonIsAnArrayOfObjectsInColumnOrder() throws {
        let text = try render(JSONFeedFormat(columns: columns), [["\"V1\"", "{\"a\": 1}"], ["\"V2\"", nil]])
        #expect(text == "[\n{\"vin\":\"V1\",\"note\":{\"a\": 1}},\n{\"vin\":\"V2\",\"note\":null}\n]\n")
        #expect(try render(JSONFeedFormat(columns: columns), []) == "[]\n")
        #expect(JSONValue(parsing: text) != nil)
    }

    @Test func mustacheRendersEachDocument() throws {
        let format = try MustacheFeedFormat(
            template: "{{vin}} {{dealer.name}}{{#options}} [{{.}}]{{/options}}\n", header: "BEGIN\n", footer: "END\n")
        let text = try render(format, [
            [#"{"vin": "V1", "dealer": {"name": "A & B"}, "options": ["sunroof", "awd"]}"#], [#"{"vin": "V2"}"#],
        ])
        #expect(text == "BEGIN\nV1 A &amp; B [sunroof] [awd]\nV2 \nEND\n")
    }

    @Test func mustacheRefusesABadTemplate() {
        #expect(throws: (any Error).self) { try MustacheFeedFormat(template: "{{#open}} never closed") }
    }
}

@Suite struct FeedScheduleUnitTests {
    func date(_ text: String) throws -> Date { try #require(Timestamp.parse(text)) }

    @Test func cronFieldsAndNextTimes() throws {
        let sixAM = try CronExpression("0 6 * * *")
        #expect(sixAM.next(after: try date("2026-12-02T05:59:59Z")) == (try date("2026-12-02T06:00:00Z")))
        #expect(sixAM.next(after: try date("2026-12-02T06:00:00Z")) == (try date("2026-12-03T06:00:00Z")))
        let quarterHours = try CronExpression("*/15 9-17 * * 1-5")
        // 2026-12-05 is a Saturday: the next working quarter hour is Monday 09:00.
        #expect(quarterHours.next(after: try date("2026-12-04T17:50:00Z")) == (try date("2026-12-07T09:00:00Z")))
        #expect(quarterHours.next(after: try date("2026-12-07T09:00:00Z")) == (try date("2026-12-07T09:15:00Z")))
        // Both day fields restricted: either matches (the 1st, or any Sunday).
        let firstOrSunday = try CronExpression("30 2 1 * 0")
        #expect(firstOrSunday.next(after: try date("2026-12-02T00:00:00Z")) == (try date("2026-12-06T02:30:00Z")))
        #expect(firstOrSunday.next(after: try date("2026-12-27T03:00:00Z")) == (try date("2027-01-01T02:30:00Z")))
        // 7 is Sunday too; lists and stepped ranges.
        #expect(try CronExpression("0 0 * * 7").weekdays == [0])
        #expect(try CronExpression("5,10-20/5 * * * *").minutes == [5, 10, 15, 20])
        #expect(try CronExpression("0 0 31 2 *").next(after: try date("2026-12-02T00:00:00Z")) == nil)
    }

    @Test func cronErrorsSayWhichField() {
        for (text, expected) in [
            ("0 6 * *", "five fields"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day-of-month"),
            ("* * * 13 *", "month"), ("* * * * 8", "day-of-week"), ("*/0 * * * *", "step"), ("5-1 * * * *", "minute"),
        ] {
            #expect {
                try CronExpression(text)
            } throws: { error in
                "\(error)".contains(expected)
            }
        }
    }

    @Test func intervalsCountFromTheLastFiring() throws {
        let start = try date("2026-12-02T10:00:00Z")
        #expect(FeedSchedule.every(.seconds(3600)).next(lastFiredAt: nil, start: start) == start)
        #expect(
            FeedSchedule.every(.seconds(3600)).next(lastFiredAt: try date("2026-12-02T09:30:00Z"), start: start)
                == (try date("2026-12-02T10:30:00Z")))
        #expect(
            FeedSchedule.cron(try CronExpression("0 * * * *")).next(lastFiredAt: nil, start: start)
                == (try date("2026-12-02T11:00:00Z")))
    }

    @Test func debounceWaitsForQuietButNotForever() throws {
        let t0 = try date("2026-12-02T10:00:00Z")
        var debounce = ChangeDebounce(quiet: .seconds(2))
        func observe(_ mark: Int64, _ lastRun: Int64, at seconds: Double) -> Bool {
            debounce.observe(mark: mark, lastRunMark: lastRun, now: t0 + seconds)
        }
        #expect(observe(1, 1, at: 0) == false)  // nothing new
        #expect(observe(2, 1, at: 0) == false)  // a change: wait for quiet
        #expect(observe(3, 1, at: 1.5) == false)  // another: the wait restarts
        #expect(observe(3, 1, at: 3) == false)
        #expect(observe(3, 1, at: 3.5) == true)  // quiet for 2 s
        debounce.ran()
        #expect(observe(3, 3, at: 4) == false)
        // Changes every second never go quiet; after 10 × the debounce it runs anyway.
        for second in 0..<20 {
            #expect(observe(10 + Int64(second), 3, at: 10 + Double(second)) == false)
        }
        #expect(observe(40, 3, at: 30) == true)
    }
}

@Suite struct FeedDecisionUnitTests {
    func published(items: Int, sha: String = "abc", name: String = "d1.csv") -> FeedRun {
        FeedRun(feed: "d1", trigger: .schedule, status: .published, startedAt: Date(), items: items, sha256: sha, fileName: name)
    }

    @Test func firstRunPublishes() {
        #expect(FeedDecision.decide(fileName: "d1.csv", sha256: "abc", items: 0, lastPublished: nil, maxDrop: 0.5, force: false) == .publish)
    }

    @Test func sameNameAndBytesAreUnchanged() {
        let decision = FeedDecision.decide(
            fileName: "d1.csv", sha256: "abc", items: 10, lastPublished: published(items: 10), maxDrop: 0.5, force: true)
        guard case .unchanged = decision else { Issue.record("expected unchanged, got \(decision)"); return }
        // A new name (a new day's file) with the same bytes is published.
        #expect(FeedDecision.decide(fileName: "d2.csv", sha256: "abc", items: 10, lastPublished: published(items: 10), maxDrop: 0.5, force: false) == .publish)
    }

    @Test func shrinkGuardRefusesUnlessForced() {
        let last = published(items: 1000)
        let decision = FeedDecision.decide(fileName: "d1.csv", sha256: "new", items: 200, lastPublished: last, maxDrop: 0.5, force: false)
        guard case .refused(let detail) = decision else { Issue.record("expected refused, got \(decision)"); return }
        #expect(detail.contains("1000 → 200") && detail.contains("80%") && detail.contains("50%") && detail.contains("--force"))
        #expect(FeedDecision.decide(fileName: "d1.csv", sha256: "new", items: 200, lastPublished: last, maxDrop: 0.5, force: true) == .publish)
        #expect(FeedDecision.decide(fileName: "d1.csv", sha256: "new", items: 500, lastPublished: last, maxDrop: 0.5, force: false) == .publish)
        #expect(FeedDecision.decide(fileName: "d1.csv", sha256: "new", items: 0, lastPublished: last, maxDrop: nil, force: false) == .publish)
    }
}
