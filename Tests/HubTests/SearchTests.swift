import Foundation
import HubTestSupport
import Testing

@testable import Hub

/// The search API over the fixture set (`fixtures/search/vehicles.json`) in real Postgres.
@Suite struct SearchTests {
    func subjects(_ answer: Answer) -> [String] {
        (answer.json["hits"] as? [[String: Any]] ?? []).compactMap { $0["subject"] as? String }
    }

    /// `{"Toyota": 4, ...}` for one facet of an answer.
    func counts(_ answer: Answer, _ facet: String) -> [String: Int] {
        let entries = (answer.json["facets"] as? [String: Any])?[facet] as? [[String: Any]] ?? []
        var counts: [String: Int] = [:]
        for entry in entries {
            let label = entry["value"].map { "\($0)" } ?? "\(entry["min"] ?? "")..\(entry["max"] ?? "")"
            counts[label] = entry["count"] as? Int
        }
        return counts
    }

    @Test func aTitleMatchRanksAboveADescriptionMatch() async throws {
        try await withSearchHub { hub in
            let answer = try await hub.get("/v1/search/vehicles?q=camry", token: nil)
            #expect(answer.status == 200)
            let found = subjects(answer)
            #expect(Set(found) == ["V1", "V10", "V2"])
            #expect(found.last == "V2", "V2 mentions a camry only in its description")
            #expect(answer.json["total"] as? Int == 3)
        }
    }

    @Test func facetCountsOverTheWholeSet() async throws {
        try await withSearchHub { hub in
            let answer = try await hub.get("/v1/search/vehicles", token: nil)
            #expect(answer.json["total"] as? Int == 10)
            #expect(counts(answer, "make") == ["Toyota": 4, "Honda": 3, "Ford": 3])
            #expect(counts(answer, "dealer") == ["d1": 4, "d2": 3, "d3": 3])
            #expect(counts(answer, "price") == ["..15000": 2, "15000..25000": 4, "25000..": 4])
            #expect(counts(answer, "year")["2019"] == 2)
        }
    }

    /// Each facet is counted under every filter but its own: picking Toyota still shows the Hondas.
    @Test func facetCountsFollowTheOtherFilters() async throws {
        try await withSearchHub { hub in
            let answer = try await hub.get("/v1/search/vehicles?make=Toyota&year_min=2019", token: nil)
            #expect(Set(subjects(answer)) == ["V1", "V2", "V3"])
            #expect(answer.json["total"] as? Int == 3)
            #expect(counts(answer, "make") == ["Toyota": 3, "Honda": 2, "Ford": 2])
            #expect(counts(answer, "model") == ["Camry": 1, "Corolla": 1, "RAV4": 1])
            #expect(counts(answer, "year") == ["2016": 1, "2019": 1, "2020": 1, "2021": 1])
        }
    }

    @Test func filtersAndSorts() async throws {
        try await withSearchHub { hub in
            let cheap = try await hub.get("/v1/search/vehicles?price_max=15000&sort=price", token: nil)
            #expect(subjects(cheap) == ["V10", "V8", "V4"])
            let dealer = try await hub.get("/v1/search/vehicles?dealer=d3&sort=-year", token: nil)
            #expect(subjects(dealer) == ["V7", "V6", "V10"])
            let range = try await hub.get("/v1/search/vehicles?year_min=2020&year_max=2020&q=toyota", token: nil)
            #expect(subjects(range) == ["V2"])
            let paged = try await hub.get("/v1/search/vehicles?sort=price&limit=4&page=2", token: nil)
            #expect(subjects(paged) == ["V1", "V6", "V3", "V5"])
            #expect(paged.json["page"] as? Int == 2 && paged.json["total"] as? Int == 10)
        }
    }

    @Test func hitsCarryOnlyPublicFields() async throws {
        try await withSearchHub { hub in
            let answer = try await hub.get("/v1/search/vehicles?q=mustang", token: nil)
            let document = (answer.json["hits"] as? [[String: Any]])?.first?["document"] as? [String: Any] ?? [:]
            #expect(Set(document.keys) == ["vin", "title", "make", "model", "year", "price", "dealer"])
            #expect(document["dealer"] as? [String: String] == ["id": "d1", "name": "Northside Motors"])
            #expect(!answer.body.contains("cost") && !answer.body.contains("margin") && !answer.body.contains("V8 coupe"))
        }
    }

    @Test(arguments: [
        ("year_min=abc", "year_min"), ("colour=red", "colour"), ("sort=colour", "sort"), ("limit=500", "limit"),
        ("page=0", "page"), ("page=9999", "page"), ("make=Ford&make=Honda", "make"), ("cursor=x", "cursor"),
    ])
    func badParametersAre400sNamingThem(query: String, field: String) async throws {
        try await withSearchHub { hub in
            let answer = try await hub.get("/v1/search/vehicles?\(query)", token: nil)
            #expect(answer.status == 400, "\(query)")
            #expect(answer.error["field"] as? String == field, "\(query): \(answer.body)")
        }
    }

    @Test func anUnknownCollectionIs404() async throws {
        try await withSearchHub { hub in
            let answer = try await hub.get("/v1/search/boats", token: nil)
            #expect(answer.status == 404 && answer.error["field"] as? String == "collection")
        }
    }

    @Test func cursorPagesWalkEveryHitOnce() async throws {
        try await withSearchHub { hub in
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let path = "/v2/search/vehicles?sort=-price&limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let answer = try await hub.get(path, token: nil)
                #expect(answer.status == 200)
                seen += subjects(answer)
                cursor = answer.json["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == ["V7", "V9", "V5", "V3", "V6", "V1", "V2", "V4", "V8", "V10"])
            #expect(pages == 4)

            let first = try await hub.get("/v2/search/vehicles?sort=-price&limit=3", token: nil)
            let reused = try await hub.get(
                "/v2/search/vehicles?sort=price&limit=3&cursor=\(first.json["next_cursor"] as? String ?? "")", token: nil)
            // /v2 errors are problem details: the field is a top-level member.
            #expect(reused.status == 400 && reused.json["field"] as? String == "cursor")
        }
    }

    /// Newest first (the order without text) pages by the version time: the cursor walk gives
    /// exactly the order of one big page.
    @Test func newestFirstCursorPagesFollowTheVersionTime() async throws {
        try await withSearchHub { hub in
            let all = subjects(try await hub.get("/v1/search/vehicles?limit=50", token: nil))
            #expect(all.count == 10)
            #expect(all.first == "V10" && all.last == "V1", "the fixture set is written V1 first")
            var seen: [String] = []
            var cursor: String?
            repeat {
                let answer = try await hub.get(
                    "/v2/search/vehicles?sort=newest&limit=4" + (cursor.map { "&cursor=\($0)" } ?? ""), token: nil)
                seen += subjects(answer)
                cursor = answer.json["next_cursor"] as? String
            } while cursor != nil && seen.count < 20
            #expect(seen == all)
        }
    }

    @Test func searchesBeyondTheRateGet429WithRetryAfter() async throws {
        try await withSearchHub(search: "{ rate: { limit: 1/m, burst: 2 } }") { hub in
            #expect(try await hub.get("/v1/search/vehicles", token: nil).status == 200)
            #expect(try await hub.get("/v1/search/vehicles", token: nil).status == 200)
            let limited = try await hub.get("/v1/search/vehicles", token: nil)
            #expect(limited.status == 429)
            #expect(Int(limited.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            #expect(limited.error["code"] as? String == "rate_limited")
        }
    }

    @Test func aCollectionWithATokenRefusesOtherCallers() async throws {
        try await withSearchHub(search: "{ token: search-token-0123456789 }") { hub async throws in
            #expect(try await hub.get("/v1/search/vehicles", token: nil).status == 401)
            #expect(try await hub.get("/v1/search/vehicles", token: TestTokens.writer).status == 401)
            #expect(try await hub.get("/v1/search/vehicles", token: "search-token-0123456789").status == 200)
        }
    }
}

/// `collections:` and `kind: search` in the config: errors name the key and line.
@Suite struct SearchConfigTests {
    func parse(_ yaml: String) throws -> HubConfig {
        try ConfigLoader.parse("database: { url: \"postgres://hub@127.0.0.1/hub\" }\n" + yaml, environment: [:])
    }

    @Test func readsTheCollectionAndItsDestination() throws {
        let config = try parse(
            SearchFixtures.collectionYAML(search: "{ rate: 5/s }")
                + "destinations:\n  index: { kind: search, collection: vehicles }\n"
        )
        let vehicles = try #require(config.collections.first)
        #expect(vehicles.projection.facets.map(\.name) == ["make", "model", "year", "price", "dealer"])
        #expect(vehicles.projection.facet(named: "price")?.kind == .number(buckets: [15000, 25000]))
        #expect(vehicles.rate.perSecond == 5 && vehicles.token == nil)
        #expect(config.destinations.first?.collection == "vehicles" && config.destinations.first?.kind == .search)
    }

    @Test func anUnknownCollectionIsNamedWithItsLine() throws {
        let error = try #require(throws: ConfigError.self) {
            try parse("destinations:\n  index: { kind: search, collection: boats }\n")
        }
        #expect(error.key == "destinations.index.collection" && error.line == 3)
    }

    @Test func aFacetNamedLikeAParameterIsRefused() throws {
        let error = try #require(throws: ConfigError.self) {
            try parse("collections:\n  vehicles:\n    facets: { page: /page }\n")
        }
        #expect(error.key == "collections.vehicles.facets.page")
    }

    @Test func aSearchDestinationRefusesAURL() throws {
        let error = try #require(throws: ConfigError.self) {
            try parse(SearchFixtures.collectionYAML() + "destinations:\n  index: { kind: search, collection: vehicles, url: \"http://x\" }\n")
        }
        #expect(error.key == "destinations.index.url")
    }
}
