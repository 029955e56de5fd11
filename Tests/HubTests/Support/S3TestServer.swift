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
}
