import AsyncHTTPClient
import Foundation
import HubTestSupport
import NIOCore
import NIOHTTP1
import Testing

@testable import Connectors

/// The moto server `scripts/services.sh` starts (signature checking on), reached with signed
/// path-style requests from the hub's own signer. A missing server fails the test, never skips it.
struct S3TestServer: Sendable {
    let url: String
    let accessKey: String
    let secretKey: String
    static let region = "us-east-1"

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["HUB_TEST_S3_URL"], !url.isEmpty,
            let accessKey = environment["HUB_TEST_S3_ACCESS_KEY"], !accessKey.isEmpty,
            let secretKey = environment["HUB_TEST_S3_SECRET_KEY"], !secretKey.isEmpty
        else {
            throw TestEnvironmentError(
                description: "HUB_TEST_S3_URL/HUB_TEST_S3_ACCESS_KEY/HUB_TEST_S3_SECRET_KEY are not set: run the tests with `make test`"
            )
        }
        (self.url, self.accessKey, self.secretKey) = (url, accessKey, secretKey)
    }

    /// A fresh bucket for one test.
    func makeBucket() async throws -> String {
        let bucket = "hub-test-\(UUID().uuidString.lowercased().prefix(18))"
        let answer = try await send("PUT", "/\(bucket)")
        guard answer.status == 200 else {
            throw TestEnvironmentError(description: "creating bucket \(bucket): \(answer.status) \(answer.body)")
        }
        return bucket
    }

    func object(_ bucket: String, _ key: String) async throws -> (status: Int, body: String) {
        try await send("GET", "/\(bucket)/\(key)")
    }

    /// Every key in `bucket` (one page is plenty for a test).
    func keys(_ bucket: String) async throws -> [String] {
        let answer = try await send("GET", "/\(bucket)", query: [("list-type", "2")])
        guard answer.status == 200 else { throw TestEnvironmentError(description: "listing \(bucket): \(answer.body)") }
        return answer.body.components(separatedBy: "<Key>").dropFirst().compactMap { $0.components(separatedBy: "</Key>").first }
    }

    private func send(_ method: String, _ path: String, query: [(String, String)] = []) async throws
        -> (status: Int, body: String)
    {
        let components = try #require(URLComponents(string: url))
        let host = try #require(components.host) + (components.port.map { ":\($0)" } ?? "")
        let signer = SigV4Signer(
            credentials: .init(accessKeyId: accessKey, secretAccessKey: secretKey), region: Self.region)
        let signed = signer.sign(
            .init(method: method, path: path, query: query, headers: [("Host", host)],
                  payloadSHA256: SigV4Signer.hexSHA256(Data())),
            at: Date())
        let queryText = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: url + SigV4Signer.canonicalURI(path) + queryText)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed.headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// An object as boto3 reads it (a second, independent S3 client): its size, ETag and SHA-256.
    func objectReadByBoto3(_ bucket: String, _ key: String) throws -> (size: Int, etag: String, sha256: String) {
        let script = """
            import boto3, hashlib, json, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name=sys.argv[2],
                              aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4])
            got = s3.get_object(Bucket=sys.argv[5], Key=sys.argv[6])
            body = got["Body"].read()
            print(json.dumps({"size": len(body), "etag": got["ETag"], "sha256": hashlib.sha256(body).hexdigest()}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, url, Self.region, accessKey, secretKey, bucket, key]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let size = json["size"] as? Int, let etag = json["etag"] as? String, let sha256 = json["sha256"] as? String
        else { throw TestEnvironmentError(description: "boto3 could not read s3://\(bucket)/\(key)") }
        return (size, etag, sha256)
    }
}
