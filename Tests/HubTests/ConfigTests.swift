import Foundation
import Testing

@testable import Hub

@Suite struct ConfigTests {
    let environment = ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:5432/hub", "HUB_TOKEN": "a-token-of-sixteen-chars"]

    func parse(_ yaml: String, environment: [String: String]? = nil) throws -> HubConfig {
        try ConfigLoader.parse(yaml, environment: environment ?? self.environment)
    }

    func failure(_ yaml: String, environment: [String: String]? = nil) -> ConfigError? {
        do {
            _ = try parse(yaml, environment: environment)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func theExampleConfigLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/hub.example.yaml").path
        let config = try ConfigLoader.load(path: path, environment: environment)
        #expect(config.server.maxBody == 1 << 20)
        #expect(config.database.url == "postgres://hub@127.0.0.1:5432/hub")
        #expect(config.auth.tokens.first?.roles == [.ingest, .read, .operator])
        let crm = try #require(config.destinations.first)
        #expect(crm.name == "crm" && crm.timeout == .seconds(5) && crm.concurrency == 32)
        #expect(crm.retry.maxAttempts == 10 && crm.retry.initial == .milliseconds(200) && crm.retry.maxAge == .seconds(86400))
        #expect(crm.secret == nil)  // ${CRM_SECRET:-} with the variable unset
        #expect(config.routes.first?.type == GlobPattern("order.*"))
    }

    @Test func environmentVariablesAreSubstitutedWithDefaults() throws {
        let config = try parse("""
            database: { url: "postgres://${DB_USER:-hub}@${DB_HOST}:5432/hub" }
            """, environment: ["DB_HOST": "db.internal"])
        #expect(config.database.url == "postgres://hub@db.internal:5432/hub")
    }

    @Test func anUnsetVariableNamesTheKeyTheLineAndTheVariable() throws {
        let error = try #require(failure("""
            server: { port: 8080 }
            database:
              url: "${NOT_SET_ANYWHERE}"
            """))
        #expect(error.key == "database.url")
        #expect(error.line == 3)
        #expect(error.description.contains("NOT_SET_ANYWHERE"))
    }

    @Test func anUnknownKeyIsATypoNotIgnored() throws {
        let error = try #require(failure("""
            database: { url: "${HUB_DATABASE_URL}" }
            destinations:
              crm:
                kind: http
                url: http://127.0.0.1:9100/hook
                retyr: { max_attempts: 3 }
            """))
        #expect(error.key == "destinations.crm.retyr")
        #expect(error.line == 6)
        #expect(error.message.contains("unknown key"))
    }

    @Test func aBadDurationSaysWhatWasExpected() throws {
        let error = try #require(failure("""
            database: { url: "${HUB_DATABASE_URL}" }
            destinations:
              crm: { kind: http, url: "http://x:1/", timeout: five }
            """))
        #expect(error.key == "destinations.crm.timeout")
        #expect(error.line == 3)
        #expect(error.message.contains("duration"))
    }

    @Test func aRouteToAnUnknownDestinationIsRefused() throws {
        let error = try #require(failure("""
            database: { url: "${HUB_DATABASE_URL}" }
            destinations:
              crm: { kind: http, url: "http://127.0.0.1:9/" }
            routes:
              - { match: { type: "order.*" }, to: [crm, erp] }
            """))
        #expect(error.key == "routes[0].to")
        #expect(error.line == 5)
        #expect(error.message.contains("unknown destination 'erp'"))
    }

    @Test func unknownRolesKindsAndShortTokensAreRefused() throws {
        let role = try #require(failure("""
            database: { url: "${HUB_DATABASE_URL}" }
            auth: { tokens: [ { name: ci, token: "${HUB_TOKEN}", roles: [ingest, root] } ] }
            """))
        #expect(role.key == "auth.tokens[0].roles" && role.message.contains("unknown role 'root'"))
        let kind = try #require(failure("""
            database: { url: "${HUB_DATABASE_URL}" }
            destinations: { crm: { kind: ftp, url: "http://x:1/" } }
            """))
        #expect(kind.key == "destinations.crm.kind" && kind.message.contains("ftp"))
        let short = try #require(failure("""
            database: { url: "${HUB_DATABASE_URL}" }
            auth: { tokens: [ { name: ci, token: short } ] }
            """))
        #expect(short.key == "auth.tokens[0].token")
    }

    @Test func aTimeoutLongerThanTheLeaseIsRefused() throws {
        let error = try #require(failure("""
            database: { url: "${HUB_DATABASE_URL}" }
            relay: { lease: 10s }
            destinations: { crm: { kind: http, url: "http://x:1/", timeout: 30s } }
            """))
        #expect(error.key == "destinations.crm" && error.message.contains("relay.lease"))
    }

    @Test func unitsParse() {
        #expect(Units.duration("200ms") == .milliseconds(200))
        #expect(Units.duration("1.5s") == .milliseconds(1500))
        #expect(Units.duration("24h") == .seconds(86400))
        #expect(Units.duration("5") == nil)
        #expect(Units.size("1MiB") == 1_048_576)
        #expect(Units.size("64KiB") == 65536)
        #expect(Units.size("2MB") == 2_000_000)
        #expect(Units.size("4096") == 4096)
        #expect(Units.size("lots") == nil)
    }
}
