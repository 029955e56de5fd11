import ArgumentParser
import Foundation
import HubTestSupport
import Outbox
import Testing

@testable import Connectors
@testable import Hub

/// Dealer feeds end to end: the fixture vehicles in a real projection, rendered, stored with
/// their message, delivered by the relay to moto (S3) and sshd (SFTP), and read back.
@Suite struct FeedTests {
    static let columns = "{ vin: /vin, make: /make, model: /model, year: /year, price: /price, dealer: /dealer/id, description: /description }"

    /// Feeds for every format, published to `feeds_s3` (key `feeds/{subject}`) or `partner` (SFTP).
    static func feedsYAML(extra: String = "") -> String {
        """
        feeds:
          all_csv: { collection: vehicles, format: csv, columns: \(columns), file: vehicles.csv, to: feeds_s3 }
          all_json: { collection: vehicles, format: json, columns: \(columns), file: vehicles.json, to: feeds_s3 }
          all_xml:
            collection: vehicles
            format: xml
            xml: { root: inventory, item: vehicle }
            columns: \(columns)
            file: vehicles.xml
            to: feeds_s3
          d1_html:
            collection: vehicles
            filter: { dealer: d1 }
            format: mustache
            header: "<ul>\\n"
            template: "<li>{{year}} {{make}} {{model}}: $${{price}} ({{dealer.name}})</li>\\n"
            footer: "</ul>\\n"
            content_type: text/html
            file: d1.html
            to: feeds_s3
          d2_documents: { collection: vehicles, filter: { dealer: d2 }, format: json, file: d2.json, to: feeds_s3 }
          d1_sftp: { collection: vehicles, filter: { dealer: d1 }, format: csv, columns: \(columns), file: "{feed}.csv", to: partner, shrink_guard: 50% }
        \(extra)
        """
    }

    static func destinationsYAML(s3: S3TestServer, bucket: String, sftp: SFTPTestServer, directory: String) -> String {
        """
          feeds_s3:
            kind: s3
            bucket: \(bucket)
            region: \(S3TestServer.region)
            endpoint: "\(s3.url)"
            access_key_id: "\(s3.accessKey)"
            secret_access_key: "\(s3.secretKey)"
            key: "feeds/{subject}"
            retry: { max_attempts: 3, initial: 100ms }
          partner:
            kind: sftp
            host: \(sftp.host)
            port: \(sftp.port)
            user: \(sftp.user)
            private_key: "\(sftp.key)"
            host_key: "\(sftp.fingerprint)"
            directory: \(directory)
            file: "{subject}"
            pool_size: 2
            retry: { max_attempts: 3, initial: 100ms }

        """
    }

    struct Servers: Sendable {
        var s3: S3TestServer
        var bucket: String
        var sftp: SFTPTestServer
        var directory: String
    }

    /// A hub over the fixture vehicles with the feeds above (plus `extra` feeds).
    func withFeedHub(extra: String = "", _ body: @Sendable (HubUnderTest, Servers) async throws -> Void) async throws {
        let servers = Servers(
            s3: try S3TestServer(), bucket: try await S3TestServer().makeBucket(), sftp: try SFTPTestServer(),
            directory: try SFTPTestServer().freshDirectory())
        try await withHub({ database in
            testConfig(
                database: database,
                extraDestinationYAML: Self.destinationsYAML(
                    s3: servers.s3, bucket: servers.bucket, sftp: servers.sftp, directory: servers.directory))
                + SearchFixtures.collectionYAML() + Self.feedsYAML(extra: extra)
        }) { hub in
            try await SearchFixtures.load(into: hub.database)
            try await body(hub, servers)
        }
    }

    static func golden(_ name: String) throws -> Data {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../fixtures/feeds/\(name)")
        return try Data(contentsOf: url)
    }

    /// Runs a feed through the API as an operator.
    func run(_ hub: HubUnderTest, _ feed: String, force: Bool = false) async throws -> Answer {
        try await hub.post("/v1/feeds/\(feed)/runs", force ? #"{"force": true}"# : "", token: TestTokens.operator)
    }

    /// Waits until the run's message is delivered.
    func waitDelivered(_ hub: HubUnderTest, _ run: Answer) async throws {
        let id = try #require(run.json["message_id"] as? String, "\(run.body)")
        try await eventually("the feed file of \(id) is delivered") {
            try await hub.deliveries(of: id).first?["status"] as? String == "delivered"
        }
    }

    @Test func everyFormatMatchesItsGoldenFileReadBackFromS3() async throws {
        try await withFeedHub { hub, servers in
            let files = [
                ("all_csv", "vehicles.csv"), ("all_json", "vehicles.json"), ("all_xml", "vehicles.xml"),
                ("d1_html", "d1.html"), ("d2_documents", "d2.json"),
            ]
            for (feed, file) in files {
                let answer = try await run(hub, feed)
                #expect(answer.status == 201, "\(feed): \(answer.body)")
                #expect(answer.json["status"] as? String == "published")
                try await waitDelivered(hub, answer)
                let golden = try Self.golden(file)
                let stored = try servers.s3.objectReadByBoto3(servers.bucket, "feeds/\(file)")
                #expect(stored.size == golden.count, "\(file)")
                #expect(stored.sha256 == (answer.json["sha256"] as? String), "\(file)")
                let object = try await servers.s3.object(servers.bucket, "feeds/\(file)")
                #expect(Data(object.body.utf8) == golden, "\(file) differs from fixtures/feeds/\(file):\n\(object.body)")
                #expect(answer.json["items"] as? Int == ["d1.html": 4, "d2.json": 3][file] ?? 10)
            }
        }
    }

    @Test func aFeedOverSFTPArrivesByteForByte() async throws {
        try await withFeedHub { hub, servers in
            let answer = try await run(hub, "d1_sftp")
            #expect(answer.status == 201, "\(answer.body)")
            try await waitDelivered(hub, answer)
            #expect(servers.sftp.contents("\(servers.directory)/d1_sftp.csv") == (try Self.golden("d1.csv")))
            // The message says what it carries: the file's name, type, size and hash.
            let message = try await hub.get("/v1/messages/\(try #require(answer.json["message_id"] as? String))").json
            #expect(message["datacontenttype"] as? String == StoredFile.messageContentType)
            let data = try #require(message["data"] as? [String: Any])
            #expect(data["name"] as? String == "d1_sftp.csv")
            #expect(data["content_type"] as? String == "text/csv; charset=utf-8")
            #expect(data["bytes"] as? Int == (try Self.golden("d1.csv")).count)
            #expect(data["items"] as? Int == 4)
        }
    }

    @Test func aFeedOverHTTPIsPostedAsTheFileItself() async throws {
        let sink = TestSink()
        try await sink.serve { url in
            let secret = "whsec_" + Data("feed-signing-secret-0123456789ab".utf8).base64EncodedString()
            let extra = """
                  d1_http: { collection: vehicles, filter: { dealer: d1 }, format: csv, columns: \(Self.columns), file: d1.csv, to: partner_http }
                """
            let destination = "  partner_http: { kind: http, url: \"\(url)/feeds\", secret: \"\(secret)\" }\n"
            let servers = Servers(
                s3: try S3TestServer(), bucket: try await S3TestServer().makeBucket(), sftp: try SFTPTestServer(),
                directory: try SFTPTestServer().freshDirectory())
            try await withHub({ database in
                testConfig(
                    database: database,
                    extraDestinationYAML: destination + Self.destinationsYAML(
                        s3: servers.s3, bucket: servers.bucket, sftp: servers.sftp, directory: servers.directory))
                    + SearchFixtures.collectionYAML() + Self.feedsYAML(extra: extra)
            }) { hub in
                try await SearchFixtures.load(into: hub.database)
                let answer = try await run(hub, "d1_http")
                #expect(answer.status == 201, "\(answer.body)")
                try await waitDelivered(hub, answer)
                let received = try #require(sink.received.first)
                #expect(Data(received.body.utf8) == (try Self.golden("d1.csv")))
                #expect(received.headers["content-type"] == "text/csv; charset=utf-8")
                // Signed over the file's bytes, as any Standard Webhooks delivery.
                let signer = StandardWebhookSigner(secret: secret)
                let id = try #require(received.headers["webhook-id"])
                let timestamp = try #require(received.headers["webhook-timestamp"].flatMap { Int($0) })
                #expect(received.headers["webhook-signature"] == signer.signature(id: id, timestamp: timestamp, body: Data(received.body.utf8)))
            }
        }
    }

    @Test func unchangedContentIsNotSentAgainAndTheShrinkGuardHoldsUntilForced() async throws {
        try await withFeedHub { hub, servers in
            let first = try await run(hub, "d1_sftp")
            #expect(first.status == 201, "\(first.body)")
            try await waitDelivered(hub, first)

            let again = try await run(hub, "d1_sftp")
            #expect(again.status == 200)
            #expect(again.json["status"] as? String == "unchanged", "\(again.body)")
            #expect(again.json["message_id"] == nil)

            // Upstream loses three of dealer d1's four vehicles: publishing would wipe 75% of the feed.
            for subject in ["V2", "V5", "V9"] { try await Self.project(hub.database, subject: subject, type: "vehicle.deleted") }
            let refused = try await run(hub, "d1_sftp")
            #expect(refused.status == 200)
            #expect(refused.json["status"] as? String == "refused", "\(refused.body)")
            let detail = refused.json["detail"] as? String ?? ""
            #expect(detail.contains("4 → 1") && detail.contains("75%"), "\(detail)")
            #expect(refused.json["message_id"] == nil)
            let listed = try await hub.get("/v1/feeds", token: TestTokens.reader)
            let feed = try #require((listed.json["feeds"] as? [[String: Any]])?.first { $0["name"] as? String == "d1_sftp" })
            #expect(feed["state"] as? String == "refused")
            #expect((feed["runs"] as? [[String: Any]])?.map { $0["status"] as? String } == ["refused", "unchanged", "published"])
            #expect(try await hub.get("/metrics", token: nil).body.contains(#"hub_feed_refused{feed="d1_sftp"} 1"#))
            // The partner still has the last good file.
            #expect(servers.sftp.contents("\(servers.directory)/d1_sftp.csv") == (try Self.golden("d1.csv")))

            let forced = try await run(hub, "d1_sftp", force: true)
            #expect(forced.status == 201, "\(forced.body)")
            #expect(forced.json["forced"] as? Bool == true)
            #expect(forced.json["requested_by"] as? String == "ops")
            try await waitDelivered(hub, forced)
            let lines = String(decoding: servers.sftp.contents("\(servers.directory)/d1_sftp.csv") ?? Data(), as: UTF8.self)
            #expect(lines.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 2)  // header + V1
            #expect(try await hub.get("/metrics", token: nil).body.contains(#"hub_feed_refused{feed="d1_sftp"} 0"#))
        }
    }

    @Test func changesAndSchedulesRunFeedsByThemselves() async throws {
        let extra = """
              d3_on_change: { collection: vehicles, filter: { dealer: d3 }, format: csv, columns: { vin: /vin, price: /price }, file: d3.csv, to: feeds_s3, on_change: { debounce: 200ms } }
              d2_hourly: { collection: vehicles, filter: { dealer: d2 }, format: csv, columns: { vin: /vin }, file: d2.csv, to: feeds_s3, schedule: 1h }
            """
        try await withFeedHub(extra: extra) { hub, servers in
            // An hourly feed that never ran runs at once; its next run is an hour after it.
            try await eventually("the hourly feed runs at start") {
                try await Self.runs(hub, "d2_hourly").contains { $0["trigger"] as? String == "schedule" && $0["status"] as? String == "published" }
            }
            let hourly = try await Self.feed(hub, "d2_hourly")
            let ran = try #require(Timestamp.parse((hourly["runs"] as? [[String: Any]])?.first?["started_at"] as? String ?? ""))
            let next = try #require(Timestamp.parse(hourly["next_run_at"] as? String ?? ""))
            #expect(abs(next.timeIntervalSince(ran) - 3600) < 1)

            // The fixtures were a change: the on-change feed publishes them once they settle.
            try await eventually("the on-change feed publishes") {
                try await Self.runs(hub, "d3_on_change").contains { $0["trigger"] as? String == "change" && $0["status"] as? String == "published" }
            }
            // A price cut on one of d3's vehicles: a new file with the new price follows by itself.
            try await Self.project(
                hub.database, subject: "V7", data: #"{"vin": "V7", "make": "Ford", "model": "F-150", "year": 2020, "price": 33333, "dealer": {"id": "d3"}}"#)
            try await eventually("the changed price reaches S3") {
                let object = try await servers.s3.object(servers.bucket, "feeds/d3.csv")
                return object.body.contains("V7,33333")
            }
            let changeRuns = try await Self.runs(hub, "d3_on_change").filter { $0["status"] as? String == "published" }
            #expect(changeRuns.count == 2)
        }
    }

    @Test func theCLIRunsAFeedAndForcesItPastTheGuard() async throws {
        try await withFeedHub { hub, servers in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("hub-feeds-\(UUID().uuidString).yaml").path
            let yaml = testConfig(
                database: hub.database,
                extraDestinationYAML: Self.destinationsYAML(s3: servers.s3, bucket: servers.bucket, sftp: servers.sftp, directory: servers.directory))
                + SearchFixtures.collectionYAML() + Self.feedsYAML()
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }

            var command = try #require(try HubCommand.parseAsRoot(["feeds", "run", "d1_sftp", "--config", path]) as? AsyncParsableCommand)
            try await command.run()
            for subject in ["V1", "V2", "V5"] { try await Self.project(hub.database, subject: subject, type: "vehicle.deleted") }
            command = try #require(try HubCommand.parseAsRoot(["feeds", "run", "d1_sftp", "--config", path]) as? AsyncParsableCommand)
            await #expect(throws: ExitCode(3)) { try await command.run() }  // refused
            command = try #require(try HubCommand.parseAsRoot(["feeds", "run", "d1_sftp", "--force", "--config", path]) as? AsyncParsableCommand)
            try await command.run()

            let runs = try await Self.runs(hub, "d1_sftp")
            #expect(runs.map { $0["status"] as? String } == ["published", "refused", "published"])
            #expect(runs.first?["forced"] as? Bool == true)
            #expect((runs.first?["requested_by"] as? String)?.hasPrefix("cli:") == true)
            #expect(runs.first?["items"] as? Int == 1)
            var unknown = try #require(try HubCommand.parseAsRoot(["feeds", "run", "nope", "--config", path]) as? AsyncParsableCommand)
            let refusal = await #expect(throws: CLIError.self) { try await unknown.run() }
            #expect(refusal?.description.contains("unknown feed 'nope' (configured: all_csv") == true)
        }
    }

    @Test func feedEndpointsCheckRolesAndNames() async throws {
        try await withFeedHub { hub, _ in
            #expect(try await hub.get("/v1/feeds", token: nil).status == 401)
            #expect(try await hub.post("/v1/feeds/all_csv/runs", "", token: TestTokens.reader).status == 403)
            let unknown = try await hub.post("/v1/feeds/nope/runs", "", token: TestTokens.operator)
            #expect(unknown.status == 404)
            let bad = try await hub.post("/v1/feeds/all_csv/runs", #"{"force": "yes"}"#, token: TestTokens.operator)
            #expect(bad.status == 400)
            #expect(bad.error["field"] as? String == "force")
            let listed = try await hub.get("/v1/feeds", token: TestTokens.reader)
            let names = (listed.json["feeds"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["all_csv", "all_json", "all_xml", "d1_html", "d2_documents", "d1_sftp"])
            let csv = try #require((listed.json["feeds"] as? [[String: Any]])?.first)
            #expect(csv["state"] as? String == "never_run")
            #expect(csv["destination"] as? String == "feeds_s3")
            #expect(csv["shrink_guard_max_drop"] as? Double == 0.5)
        }
    }

    // MARK: Helpers

    static func runs(_ hub: HubUnderTest, _ feed: String) async throws -> [[String: Any]] {
        try await self.feed(hub, feed)["runs"] as? [[String: Any]] ?? []
    }

    static func feed(_ hub: HubUnderTest, _ name: String) async throws -> [String: Any] {
        let listed = try await hub.get("/v1/feeds", token: TestTokens.reader).json["feeds"] as? [[String: Any]] ?? []
        return listed.first { $0["name"] as? String == name } ?? [:]
    }

    /// Writes one message's effect into the projection, as the search destination would.
    static func project(_ database: TestDatabase, subject: String, type: String = "vehicle.updated", data: String = "{}") async throws {
        let collection = try SearchFixtures.collection()
        let message = CanonicalMessage(
            source: "test", type: type, subject: subject, data: try #require(JSONValue(parsing: data)))
        _ = try await database.withClient { client in
            try await ProjectionStore(client: client, logger: testLogger()).write(
                try collection.record(for: message), language: collection.language)
        }
    }
}

/// Feed config errors name the key and line.
@Suite struct FeedConfigTests {
    func error(_ feeds: String, destinations: String = "  out: { kind: http, url: \"http://127.0.0.1:9/x\" }\n  idx: { kind: search, collection: vehicles }\n")
        -> String
    {
        let yaml = "database: { url: \"postgres://hub@127.0.0.1/hub\" }\ndestinations:\n" + destinations
            + SearchFixtures.collectionYAML() + "feeds:\n" + feeds
        do {
            _ = try ConfigLoader.parse(yaml, environment: [:])
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func mistakesAreNamed() {
        let base = "collection: vehicles, format: csv, columns: { vin: /vin }, file: x.csv, to: out"
        let cases: [(String, String)] = [
            ("  f: { \(base.replacingOccurrences(of: "collection: vehicles", with: "collection: boats")) }\n", "feeds.f.collection"),
            ("  f: { \(base.replacingOccurrences(of: "to: out", with: "to: idx")) }\n", "s3, sftp or http destination"),
            ("  f: { \(base.replacingOccurrences(of: "to: out", with: "to: nowhere")) }\n", "unknown destination 'nowhere'"),
            ("  f: { collection: vehicles, format: csv, file: x.csv, to: out }\n", "columns is required for format: csv"),
            ("  f: { \(base), format2: x }\n", "feeds.f.format2"),
            ("  f: { \(base.replacingOccurrences(of: "format: csv", with: "format: pdf")) }\n", "expected csv, json, xml or mustache"),
            ("  f: { \(base), schedule: \"61 * * * *\" }\n", "minute"),
            ("  f: { \(base), filter: { colour: red } }\n", "'colour' is not a facet"),
            ("  f: { \(base.replacingOccurrences(of: "file: x.csv", with: "file: ../x.csv")) }\n", "feeds.f.file"),
            ("  f: { \(base.replacingOccurrences(of: "file: x.csv", with: "file: \"{dealer}.csv\"")) }\n", "unknown field {dealer}"),
            ("  f: { \(base), shrink_guard: 150% }\n", "feeds.f.shrink_guard"),
            ("  f: { collection: vehicles, format: mustache, template: \"{{#a}}\", file: x.html, to: out }\n", "not a valid Mustache template"),
            ("  f: { \(base), template: \"{{vin}}\" }\n", "template applies only to format: mustache"),
            ("  f: { collection: vehicles, format: xml, columns: { \"1st\": /vin }, file: x.xml, to: out }\n", "not an XML element name"),
        ]
        for (feeds, expected) in cases {
            let message = error(feeds)
            #expect(message.contains(expected), "\(feeds) -> \(message)")
            #expect(message.contains("line"), "\(message)")
        }
        #expect(error("  f: { \(base), schedule: \"0 6 * * *\", on_change: 30s }\n") == "no error")
    }
}
