import AsyncHTTPClient
import Crypto
import Foundation
import HubTestSupport
import NIOHTTP1
import Outbox
import Testing

@testable import Connectors
@testable import Hub

/// The signer against published answers: AWS's SigV4 test suite (service "service", as carried by
/// the aws-c-auth `aws-signing-test-suite` and the AWS SDKs' suite fixtures) and botocore.
@Suite struct SigV4Tests {
    static let suite = SigV4Signer(
        credentials: .init(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    func signSuite(_ method: String, _ path: String, query: [(String, String)] = []) -> SigV4Signer.Signed {
        Self.suite.sign(
            .init(method: method, path: path, query: query, headers: [("Host", "example.amazonaws.com")],
                  payloadSHA256: Self.emptySHA256),
            at: Self.suiteDate, contentSHA256Header: false)
    }

    @Test func getVanillaMatchesEveryPublishedStep() {
        let signed = signSuite("GET", "/")
        #expect(signed.canonicalRequest == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(Self.emptySHA256)")
        #expect(signed.stringToSign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test(arguments: [
        ("post-vanilla", "POST", "/", [(String, String)](), "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        ("get-vanilla-query-order-key-case", "GET", "/", [("Param2", "value2"), ("Param1", "value1")],
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        ("get-utf8", "GET", "/\u{1234}", [], "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        ("get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [],
         "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    ])
    func suiteCase(_ name: String, _ method: String, _ path: String, _ query: [(String, String)], _ signature: String) {
        #expect(signSuite(method, path, query: query).signature == signature, "\(name)")
    }

    @Test func encodesPathSegmentsTheS3Way() {
        #expect(SigV4Signer.canonicalURI("/bucket/A 1/\u{00DF}+x~y.json") == "/bucket/A%201/%C3%9F%2Bx~y.json")
        #expect(SigV4Signer.canonicalQuery([("b", "x/y"), ("a", "2"), ("a", "1")]) == "a=1&a=2&b=x%2Fy")
    }

    /// One S3 PUT as botocore 1.43 signs it, computed with (python3):
    /// ```
    /// import base64, datetime, hashlib
    /// from unittest import mock
    /// from botocore.auth import S3SigV4Auth
    /// from botocore.awsrequest import AWSRequest
    /// from botocore.credentials import Credentials
    /// body = b'{"total":12.5}'
    /// request = AWSRequest(method="PUT", url="http://127.0.0.1:59000/hub-test/inventory/A%201/%C3%9F.json",
    ///     data=body, headers={"Content-Type": "application/json",
    ///                         "Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()})
    /// request.context["payload_signing_enabled"] = True
    /// credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-example")
    /// with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2024, 1, 2, 3, 4, 5)):
    ///     S3SigV4Auth(credentials, "s3", "us-east-1").add_auth(request)
    /// print(request.headers["Authorization"])
    /// ```
    @Test func anS3PutMatchesBotocore() throws {
        let connector = S3Connector(client: HTTPClient.shared, configuration: .init(
            bucket: "hub-test", region: "us-east-1", endpoint: "http://127.0.0.1:59000",
            credentials: .init(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               sessionToken: "session-token-example"),
            key: try ObjectKeyTemplate("{subject}")))
        let request = connector.signedRequest(
            "PUT", key: "inventory/A 1/\u{00DF}.json", body: Data(#"{"total":12.5}"#.utf8), contentType: "application/json",
            at: Date(timeIntervalSince1970: 1_704_164_645))  // 2024-01-02T03:04:05Z
        #expect(request.url == "http://127.0.0.1:59000/hub-test/inventory/A%201/%C3%9F.json")
        #expect(request.headers.first(name: "Content-MD5") == "rsNcT6o4KH6LEvSJ0K2LHA==")
        #expect(request.headers.first(name: "x-amz-content-sha256") == "c488eb4a244bad6d5b3730200461e8422e554a13bbc9801bd3844721118f4f82")
        #expect(request.headers.first(name: "Authorization") == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/s3/aws4_request, SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=64096597c06ed0a9c4394887eaca4ff3756a7e0ddf2b0582e546e94aba936227")
    }

    @Test func credentialsNeverPrintTheirSecret() {
        let credentials = SigV4Signer.Credentials(accessKeyId: "AKID", secretAccessKey: "very-secret", sessionToken: "tok")
        #expect(!"\(credentials)".contains("very-secret") && !"\(credentials)".contains("tok"))
    }
}

/// The s3 destination end to end: the real edge, Postgres and moto checking signatures.
@Suite struct S3Tests {
    static let template = "inventory/{subject}/{id}.json"

    func destinationYAML(_ s3: S3TestServer, bucket: String, secret: String? = nil, extra: String = "") -> String {
        """
          archive:
            kind: s3
            bucket: \(bucket)
            region: \(S3TestServer.region)
            endpoint: "\(s3.url)"
            access_key_id: "\(s3.accessKey)"
            secret_access_key: "\(secret ?? s3.secretKey)"
            key: "\(Self.template)"
            retry: { max_attempts: 3, initial: 100ms }
        \(extra)

        """
    }

    func withS3Hub(
        secret: String? = nil, extra: String = "", maxBody: String = "64KiB",
        _ body: @Sendable (HubUnderTest, S3TestServer, String) async throws -> Void
    ) async throws {
        let s3 = try S3TestServer()
        let bucket = try await s3.makeBucket()
        try await withHub({ database in
            testConfig(
                database: database, extraDestinationYAML: destinationYAML(s3, bucket: bucket, secret: secret, extra: extra),
                routes: "  - { match: { type: \"*\" }, to: [archive] }", maxBody: maxBody)
        }) { hub in try await body(hub, s3, bucket) }
    }

    /// Posts a message and waits for its one delivery to reach `status`.
    func post(_ hub: HubUnderTest, _ body: String, until status: String) async throws -> (String, [String: Any]) {
        let answer = try await hub.post("/v1/messages", body)
        #expect(answer.status == 202)
        let id = try #require(answer.json["id"] as? String)
        try await eventually(status) { try await hub.deliveries(of: id).first?["status"] as? String == status }
        return (id, try #require(try await hub.deliveries(of: id).first))
    }

    @Test func aMessageLandsAsAnObjectHoldingItsData() async throws {
        try await withS3Hub { hub, s3, bucket in
            let (id, delivery) = try await post(
                hub, #"{"type":"inventory.updated","subject":"VIN-1","data":{"price":12.5,"vin":"VIN-1"}}"#,
                until: "delivered")
            let object = try await s3.object(bucket, "inventory/VIN-1/\(id.lowercased()).json")
            #expect(object.status == 200)
            #expect(object.body == #"{"price":12.5,"vin":"VIN-1"}"#)
            #expect(try await s3.keys(bucket) == ["inventory/VIN-1/\(id.lowercased()).json"])
            let attempts = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(attempts.count == 1 && attempts[0]["http_status"] as? Int == 200)
        }
    }

    /// Above the threshold the object goes up in three parts and a second client reads back
    /// exactly the bytes the message holds.
    @Test func aLargeMessageGoesUpInPartsAndReadsBackIntact() async throws {
        try await withS3Hub(extra: "    multipart: { threshold: 5MiB, part_size: 5MiB }", maxBody: "16MiB") { hub, s3, bucket in
            // 11 MiB of numbered random lines: a part sent twice or out of order changes the digest.
            let line = (0..<1018).map { _ in "0123456789abcdef".randomElement()! }
            let blob = (0..<(11 << 10)).map { String(format: "%06d", $0) + String(line) }.joined()
            let data = #"{"blob":"\#(blob)"}"#
            let (id, delivery) = try await post(hub, #"{"type":"feed.published","subject":"dealer-7","data":\#(data)}"#, until: "delivered")
            let object = try s3.objectReadByBoto3(bucket, "inventory/dealer-7/\(id.lowercased()).json")
            #expect(object.size == data.utf8.count && object.size > 10 << 20)
            #expect(object.sha256 == SHA256.hash(data: Data(data.utf8)).map { String(format: "%02x", $0) }.joined())
            #expect(object.etag.hasSuffix("-3\""), "a multipart ETag names its part count: \(object.etag)")
            let attempts = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(attempts.count == 1)
            #expect((attempts.first?["response_excerpt"] as? String)?.hasPrefix("3 parts") == true)
        }
    }

    @Test func aLargeMessageWithAWrongSecretIsDeadAndLeavesNoObject() async throws {
        try await withS3Hub(secret: "not-the-secret", extra: "    multipart: { threshold: 5MiB }", maxBody: "16MiB") { hub, s3, bucket in
            let data = #"{"blob":"\#(String(repeating: "a", count: 6 << 20))"}"#
            let (_, delivery) = try await post(hub, #"{"type":"feed.published","subject":"d","data":\#(data)}"#, until: "dead")
            let attempts = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(attempts.first?["error"] as? String == "S3 403 SignatureDoesNotMatch")
            #expect(try await s3.keys(bucket).isEmpty)
        }
    }

    @Test func partsCoverTheObjectAndStayUnderS3sPartLimit() {
        let policy = MultipartPolicy(threshold: 8 << 20, partSize: 5 << 20)
        #expect(!policy.usesParts(forSize: 8 << 20) && policy.usesParts(forSize: (8 << 20) + 1))
        #expect(policy.partRanges(forSize: 11 << 20) == [0..<(5 << 20), (5 << 20)..<(10 << 20), (10 << 20)..<(11 << 20)])
        let huge = 100_000 << 20
        let ranges = policy.partRanges(forSize: huge)
        #expect(ranges.count <= MultipartPolicy.maximumParts && ranges.last?.upperBound == huge)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }

    @Test func aPartSizeS3WouldRefuseIsAConfigError() throws {
        let yaml = """
            database: { url: "postgres://hub@127.0.0.1:5432/hub" }
            destinations:
              archive:
                kind: s3
                bucket: archive
                region: us-east-1
                access_key_id: AKID
                secret_access_key: B
                key: "{id}"
                multipart: { threshold: 64MiB, part_size: 1MiB }
            """
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml, environment: [:]) }
        #expect(error.key == "destinations.archive.multipart.part_size" && error.line == 10, "\(error)")
        #expect(error.message.contains("5MiB"), "\(error)")
    }

    @Test func aWrongSecretIsDeadWithSignatureDoesNotMatch() async throws {
        try await withS3Hub(secret: "not-the-secret-at-all") { hub, s3, bucket in
            let (_, delivery) = try await post(hub, #"{"type":"inventory.updated","subject":"VIN-2","data":{}}"#, until: "dead")
            let attempts = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(attempts.count == 1)
            let error = try #require(attempts.first?["error"] as? String)
            #expect(error == "S3 403 SignatureDoesNotMatch")
            #expect(!error.contains("not-the-secret-at-all"))
            #expect(try await s3.keys(bucket).isEmpty)
        }
    }

    @Test func aSubjectThatWouldLeaveThePrefixFailsAndWritesNothing() async throws {
        try await withS3Hub { hub, s3, bucket in
            let (_, delivery) = try await post(hub, #"{"type":"inventory.updated","subject":"../etc","data":{}}"#, until: "dead")
            let attempts = try #require(delivery["attempt_log"] as? [[String: Any]])
            #expect(attempts.count == 1)
            let error = try #require(attempts.first?["error"] as? String)
            #expect(error.contains("{subject} contains '/'"), "\(error)")
            #expect(try await s3.keys(bucket).isEmpty)
        }
    }

    /// A retry of the same delivery writes the same key again, not a second object.
    @Test func aRetryOverwritesTheSameKey() async throws {
        let s3 = try S3TestServer()
        let bucket = try await s3.makeBucket()
        let connector = S3Connector(client: HTTPClient.shared, configuration: .init(
            bucket: bucket, region: S3TestServer.region, endpoint: s3.url,
            credentials: .init(accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey),
            key: try ObjectKeyTemplate("{date}/{type}/{id}.json")))
        let message = CanonicalMessage(source: "test", type: "order.created", data: .object(["n": .int(1)]))
        var delivery = ClaimedDelivery(id: UUID(), destination: "archive", attempt: 1, createdAt: Date(), message: message)
        #expect(await connector.deliver(delivery).verdict == .delivered)
        delivery.attempt = 2
        #expect(await connector.deliver(delivery).verdict == .delivered)
        let day = ObjectKeyTemplate.utcDay(message.receivedAt)
        #expect(try await s3.keys(bucket) == ["\(day)/order.created/\(message.id.uuidString.lowercased()).json"])
    }

    @Test func aMissingBucketIsPermanentWithItsCode() async throws {
        let s3 = try S3TestServer()
        let connector = S3Connector(client: HTTPClient.shared, configuration: .init(
            bucket: "hub-test-no-such-bucket", region: S3TestServer.region, endpoint: s3.url,
            credentials: .init(accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey),
            key: try ObjectKeyTemplate("{id}")))
        let message = CanonicalMessage(source: "test", type: "t", data: .object([:]))
        let outcome = await connector.deliver(.init(id: UUID(), destination: "a", attempt: 1, createdAt: Date(), message: message))
        #expect(outcome.verdict == .permanent)
        #expect(outcome.error == "S3 404 NoSuchBucket")
    }

    @Test func theSlowDownAnswerIsRetriedHonouringRetryAfter() {
        var headers = HTTPHeaders()
        headers.add(name: "Retry-After", value: "7")
        let body = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>"
        let outcome = S3Connector.classify(status: 503, headers: headers, body: body)
        #expect(outcome.verdict == .retry(after: .seconds(7)) && outcome.error == "S3 503 SlowDown")
        #expect(S3Connector.classify(status: 500, headers: [:], body: "").verdict == .retry(after: nil))
        #expect(S3Connector.classify(status: 400, headers: [:], body: "<Error><Code>InvalidDigest</Code></Error>").verdict == .permanent)
    }

    @Test(arguments: [
        ("inventory/../{id}.json", "'..'"), ("/inventory/{id}", "start with /"), ("inventory//{id}", "empty segments"),
        ("inventory/{id}/", "empty segments"), ("inventory/{vin}.json", "unknown field {vin}"), ("a/{id", "unbalanced"),
    ])
    func aBadTemplateIsRefusedAtConfigLoadNamingTheKey(_ template: String, _ problem: String) throws {
        let yaml = """
            database: { url: "postgres://hub@127.0.0.1:5432/hub" }
            destinations:
              archive:
                kind: s3
                bucket: archive
                region: us-east-1
                access_key_id: AKID
                secret_access_key: "the-secret-value"
                key: "\(template)"
            """
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml, environment: [:]) }
        #expect(error.key == "destinations.archive.key" && error.line == 9, "\(error)")
        #expect(error.message.contains(problem), "\(error)")
        #expect(!"\(error)".contains("the-secret-value"))
    }

    @Test func configKeysOfTheOtherKindAreRefused() throws {
        let yaml = """
            database: { url: "postgres://hub@127.0.0.1:5432/hub" }
            destinations:
              archive: { kind: s3, bucket: archive, region: us-east-1, access_key_id: A, secret_access_key: B, key: "{id}", url: "http://x" }
              crm: { kind: http, url: "http://x", bucket: archive }
            """
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml, environment: [:]) }
        #expect(error.key == "destinations.archive.url", "\(error)")
        let missing = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse("database: { url: \"postgres://h@x/h\" }\ndestinations:\n  a: { kind: s3, bucket: abc, region: us-east-1, key: \"{id}\" }", environment: [:])
        }
        #expect(missing.message == "access_key_id is required for an s3 destination", "\(missing)")
    }

    @Test func renderingRefusesValuesThatCouldEscapeThePrefix() throws {
        let template = try ObjectKeyTemplate("in/{subject}/{type}{source}.json")
        func key(subject: String?, type: String = "t", source: String = "s") throws -> String {
            try template.render(CanonicalMessage(source: source, type: type, subject: subject, data: .null))
        }
        #expect(try key(subject: "VIN 1") == "in/VIN 1/ts.json")
        for subject in ["../etc", "a/b", "..", "", "a\u{0}b", "a\nb", nil] as [String?] {
            #expect(throws: ObjectKeyTemplate.Problem.self) { try key(subject: subject) }
        }
        // Two harmless values side by side must not make a '..' segment either.
        #expect(throws: ObjectKeyTemplate.Problem.self) { try ObjectKeyTemplate("a/{type}{source}").render(
            CanonicalMessage(source: ".", type: ".", data: .null)) }
    }
}
