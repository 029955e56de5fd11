import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Outbox

/// Delivers a message by PUTting its data as one S3 object, signed with SigV4.
///
/// The key comes from ``ObjectKeyTemplate`` and depends only on the message, so a retry
/// overwrites the same object. 2xx is delivered; 5xx, 429, `SlowDown`, `RequestTimeout`, timeouts
/// and connection errors are retried (honouring `Retry-After`); any other answer is permanent,
/// with S3's error code in the attempt's error ("S3 403 SignatureDoesNotMatch").
public struct S3Connector: Connector {
    public struct Configuration: Sendable, CustomStringConvertible {
        public var bucket: String
        public var region: String
        /// Overrides `https://s3.{region}.amazonaws.com` (moto, MinIO, another S3-compatible store).
        public var endpoint: String?
        /// `https://host/bucket/key` instead of `https://bucket.host/key`.
        public var pathStyle: Bool
        public var credentials: SigV4Signer.Credentials
        public var key: ObjectKeyTemplate
        public var contentType: String
        public var timeout: Duration

        public init(
            bucket: String, region: String, endpoint: String? = nil, pathStyle: Bool? = nil,
            credentials: SigV4Signer.Credentials, key: ObjectKeyTemplate, contentType: String = "application/json",
            timeout: Duration = .seconds(5)
        ) {
            self.bucket = bucket
            self.region = region
            self.endpoint = endpoint
            self.pathStyle = pathStyle ?? (endpoint != nil)
            self.credentials = credentials
            self.key = key
            self.contentType = contentType
            self.timeout = timeout
        }

        public var description: String {
            "S3(bucket: \(bucket), region: \(region), endpoint: \(endpoint ?? "aws"), key: \(key))"
        }
    }

    /// How much of a response body is kept in the attempt log.
    static let excerptLimit = 512

    private let client: HTTPClient
    private let configuration: Configuration
    private let signer: SigV4Signer
    private let base: ObjectAddress

    public init(client: HTTPClient, configuration: Configuration) {
        self.client = client
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.base = ObjectAddress(configuration: configuration)
    }

    public func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome {
        let key: String
        do {
            key = try configuration.key.render(delivery.message)
        } catch {
            return DeliveryOutcome(verdict: .permanent, error: "object key: \(error)")
        }
        let body = Data(delivery.message.data.utf8)
        let request = signedPut(key: key, body: body, at: Date())
        do {
            let timeout = TimeAmount.nanoseconds(Int64(configuration.timeout.seconds * 1e9))
            let response = try await client.execute(request, timeout: timeout)
            let answer = try await Self.read(response.body, keeping: Self.excerptLimit)
            return Self.classify(status: Int(response.status.code), headers: response.headers, body: answer)
        } catch {
            return DeliveryOutcome(verdict: .retry(after: nil), error: HTTPConnector.describe(error))
        }
    }

    /// A signed `PUT` of `body` at `key`, with `Content-MD5` for S3 to check the bytes against.
    func signedPut(key: String, body: Data, at date: Date) -> HTTPClientRequest {
        let md5 = Data(Insecure.MD5.hash(data: body)).base64EncodedString()
        let signed = signer.sign(
            .init(
                method: "PUT", path: base.path(for: key),
                headers: [("Host", base.host), ("Content-Type", configuration.contentType), ("Content-MD5", md5)],
                payloadSHA256: SigV4Signer.hexSHA256(body)
            ),
            at: date
        )
        var request = HTTPClientRequest(url: base.url(for: key))
        request.method = .PUT
        for (name, value) in signed.headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "User-Agent", value: "hub-relay")
        request.body = .bytes(ByteBuffer(data: body))
        return request
    }

    private static func read(_ body: HTTPClientResponse.Body, keeping limit: Int) async throws -> String {
        var kept = ByteBuffer()
        for try await var chunk in body {
            let room = limit - kept.readableBytes
            if room > 0, let slice = chunk.readSlice(length: min(room, chunk.readableBytes)) {
                kept.writeImmutableBuffer(slice)
            }
        }
        return String(buffer: kept)
    }

    /// S3 error codes worth another try whatever the status says.
    static let retryableCodes: Set<String> = ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"]

    static func classify(status: Int, headers: HTTPHeaders, body: String) -> DeliveryOutcome {
        let excerpt = body.isEmpty ? nil : body
        if (200..<300).contains(status) {
            return DeliveryOutcome(verdict: .delivered, httpStatus: status, responseExcerpt: excerpt)
        }
        let code = errorCode(in: body)
        let error = "S3 \(status)" + (code.map { " \($0)" } ?? "")
        if status >= 500 || status == 429 || code.map(retryableCodes.contains) == true {
            let retryAfter = headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) }
            return DeliveryOutcome(verdict: .retry(after: retryAfter), httpStatus: status, error: error, responseExcerpt: excerpt)
        }
        return DeliveryOutcome(verdict: .permanent, httpStatus: status, error: error, responseExcerpt: excerpt)
    }

    /// The `<Code>` of an S3 error document, if the body is one.
    static func errorCode(in body: String) -> String? {
        guard let open = body.range(of: "<Code>"), let close = body.range(of: "</Code>", range: open.upperBound..<body.endIndex)
        else { return nil }
        let code = body[open.upperBound..<close.lowerBound]
        guard !code.isEmpty, code.count <= 64, code.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." }) else {
            return nil
        }
        return String(code)
    }
}

/// Where a bucket's objects are: scheme, host (with a non-default port) and path prefix.
struct ObjectAddress: Sendable {
    var scheme: String
    var host: String
    var prefix: String

    init(configuration: S3Connector.Configuration) {
        let endpoint = configuration.endpoint.flatMap { URLComponents(string: $0) }
        scheme = endpoint?.scheme ?? "https"
        var host = endpoint?.host ?? "s3.\(configuration.region).amazonaws.com"
        if let port = endpoint?.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            host += ":\(port)"
        }
        if configuration.pathStyle {
            prefix = "/\(configuration.bucket)/"
        } else {
            host = "\(configuration.bucket).\(host)"
            prefix = "/"
        }
        self.host = host
    }

    /// The decoded path the signer encodes.
    func path(for key: String) -> String { prefix + key }

    func url(for key: String) -> String { "\(scheme)://\(host)\(SigV4Signer.canonicalURI(path(for: key)))" }
}
