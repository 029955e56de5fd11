import Foundation
import Outbox
import Testing

@testable import Hub

/// Webhook sources and vendor destinations in the config: defaults, and errors that name the key and line.
@Suite struct SourceConfigTests {
    let database = #"database: { url: "postgres://hub@127.0.0.1:5432/hub" }"#

    func failure(_ yaml: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse(database + "\n" + yaml, environment: [:])
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func aSourceGetsTheDedupRuleItsSchemeImplies() throws {
        let config = try ConfigLoader.parse(database + """

            sources:
              carfax: { kind: webhook, verify: { scheme: standard-webhooks, secrets: ["whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="] } }
              github: { kind: webhook, verify: { scheme: github, secrets: [s3cret-s3cret] } }
              stripe: { kind: webhook, verify: { scheme: stripe, secrets: [whsec_abc] } }
              plain: { kind: webhook, verify: { scheme: none } }
              quiet: { kind: webhook, verify: { scheme: github, secrets: [s3cret-s3cret] }, dedup: none }
              custom: { kind: webhook, verify: { scheme: none }, dedup: { pointer: /event/id } }
            """, environment: [:])
        let rules = Dictionary(uniqueKeysWithValues: config.sources.map { ($0.name, $0.dedup) })
        #expect(rules["carfax"] == .header("webhook-id"))
        #expect(rules["github"] == .header("X-GitHub-Delivery"))
        #expect(rules["stripe"] == .pointer(JSONPointer("/id")!))
        #expect(rules["plain"] == .some(nil))
        #expect(rules["quiet"] == .some(nil))
        #expect(rules["custom"] == .pointer(JSONPointer("/event/id")!))
        #expect(config.sources.first { $0.name == "plain" }?.mapping.type.description == "webhook.plain")
    }

    @Test func aSourceWithoutVerifyIsRefusedUnlessNoneIsWritten() throws {
        let error = try #require(failure("""
            sources:
              carfax:
                kind: webhook
            """))
        #expect(error.key == "sources.carfax" && error.description.contains("scheme: none"))
    }

    @Test func mappingErrorsNameTheKeyAndLine() throws {
        let pointer = try #require(failure("""
            sources:
              carfax:
                kind: webhook
                verify: { scheme: none }
                map:
                  subject: data.vin
            """))
        #expect(pointer.key == "sources.carfax.map.subject" && pointer.line == 7)
        #expect(pointer.description.contains("JSON pointer"))

        let template = try #require(failure("""
            sources:
              carfax:
                kind: webhook
                verify: { scheme: none }
                map: { type: "vehicle.{/event" }
            """))
        #expect(template.key == "sources.carfax.map.type" && template.description.contains("unclosed"))

        let optional = try #require(failure("""
            sources:
              carfax: { kind: webhook, verify: { scheme: none }, map: { optional: [data] } }
            """))
        #expect(optional.key == "sources.carfax.map.optional")
    }

    @Test func vendorModesAreCheckedAgainstTheirCallback() throws {
        let asyncWithoutCallback = try #require(failure("""
            destinations:
              slow: { kind: http, url: "http://127.0.0.1:9/x", mode: async }
            """))
        #expect(asyncWithoutCallback.key == "destinations.slow.mode")
        #expect(asyncWithoutCallback.description.contains("callback"))

        let callbackWithoutAsync = try #require(failure("""
            destinations:
              quick:
                kind: http
                url: "http://127.0.0.1:9/x"
                mode: sync
                callback: { verify: { scheme: none } }
            """))
        #expect(callbackWithoutAsync.key == "destinations.quick" && callbackWithoutAsync.line == 4)

        let unknownMode = try #require(failure("""
            destinations:
              quick: { kind: http, url: "http://127.0.0.1:9/x", mode: sometimes }
            """))
        #expect(unknownMode.key == "destinations.quick.mode")

        let config = try ConfigLoader.parse(database + """

            destinations:
              slow:
                kind: http
                url: "http://127.0.0.1:9/x"
                callback: { verify: { scheme: none }, job_id: /request/id, deadline: 2m }
                mode: async
            """, environment: [:])
        let slow = try #require(config.destinations.first)
        #expect(slow.jobMode == .async(deadline: .seconds(120)))
        #expect(slow.callback?.jobId == JSONPointer("/request/id"))
        #expect(slow.callback?.result == JSONPointer("/data"))
    }

    @Test func deliveryPolicyReadsRatesBreakersAndOrdering() throws {
        let config = try ConfigLoader.parse(database + """

            destinations:
              a: { kind: http, url: "http://127.0.0.1:9/a", rate: 600/m, ordering: per-subject }
              b: { kind: http, url: "http://127.0.0.1:9/b", rate: { limit: 50/s, burst: 5 }, circuit_breaker: { failures: 3, cool_down: 10s } }
            """, environment: [:])
        #expect(config.destinations[0].rate == RateLimit(perSecond: 10, burst: 10))
        #expect(config.destinations[0].orderedBySubject)
        #expect(config.destinations[1].rate == RateLimit(perSecond: 50, burst: 5))
        #expect(config.destinations[1].circuitBreaker == CircuitBreakerPolicy(failures: 3, coolDown: .seconds(10)))

        let badRate = try #require(failure("""
            destinations:
              a: { kind: http, url: "http://127.0.0.1:9/a", rate: fast }
            """))
        #expect(badRate.key == "destinations.a.rate" && badRate.description.contains("50/s"))
        let badOrdering = try #require(failure("""
            destinations:
              a: { kind: http, url: "http://127.0.0.1:9/a", ordering: strict }
            """))
        #expect(badOrdering.key == "destinations.a.ordering")
    }
}
