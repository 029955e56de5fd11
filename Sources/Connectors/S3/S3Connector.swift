import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Outbox

/// Delivers a message by PUTting its data as one S3 object, signed with SigV4; above the
/// ``MultipartPolicy`` threshold as a multipart upload, every part carrying its own `Content-MD5`.
///
/// The key comes from ``ObjectKeyTemplate`` and depends only on the message, so a retry
/// overwrites the same object (a retried multipart upload starts a new upload; only a completed
/// one replaces the object, so a reader never sees a partial one). 2xx is delivered; 5xx, 429, `SlowDown`, `RequestTimeout`, timeouts
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
        public var multipart: MultipartPolicy
        public var timeout: Duration

        public init(
            bucket: String, region: String, endpoint: String? = nil, pathStyle: Bool? = nil,
            credentials: SigV4Signer.Credentials, key: ObjectKeyTemplate, contentType: String = "application/json",
            multipart: MultipartPolicy = MultipartPolicy(), timeout: Duration = .seconds(5)
        ) {
            self.bucket = bucket
            self.region = region
            self.endpoint = endpoint
            self.pathStyle = pathStyle ?? (endpoint != nil)
            self.credentials = credentials
            self.key = key
            self.contentType = contentType
            self.multipart = multipart
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
    /// Where the bytes of messages that carry a file (feeds) are read from.
    private let files: OutboxStore?

    public init(client: HTTPClient, configuration: Configuration, files: OutboxStore? = nil) {
        self.client = client
        self.configuration = configuration
        self.files = files
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
        let payload: MessageBody
        do {
            payload = try await MessageBody.of(delivery.message, files: files)
        } catch {
            return error.outcome
        }
        let body = payload.bytes
        let contentType = payload.contentType ?? configuration.contentType
        do {
            if configuration.multipart.usesParts(forSize: body.count) {
                return try await uploadInParts(body, key: key, contentType: contentType)
            }
            let answer = try await exchange(signedRequest("PUT", key: key, body: body, contentType: contentType))
            return Self.classify(answer)
        } catch {
            return DeliveryOutcome(verdict: .retry(after: nil), error: HTTPConnector.describe(error))
        }
    }

    /// Initiate, one PUT per part, complete. Any failure aborts the upload so its parts do not
    /// linger (and cost) in the bucket, and the whole upload is retried.
    private func uploadInParts(_ body: Data, key: String, contentType: String) async throws -> DeliveryOutcome {
        let initiated = try await exchange(
            signedRequest("POST", key: key, query: [("uploads", "")], body: Data(), contentType: contentType))
        guard (200..<300).contains(initiated.status) else { return Self.classify(initiated) }
        guard let uploadId = MultipartDocument.element("UploadId", in: initiated.body), !uploadId.isEmpty else {
            return DeliveryOutcome(
                verdict: .retry(after: nil), httpStatus: initiated.status, error: "S3 multipart: no UploadId in the answer")
        }
        do {
            var etags: [String] = []
            for (index, range) in configuration.multipart.partRanges(forSize: body.count).enumerated() {
                let query = [("partNumber", String(index + 1)), ("uploadId", uploadId)]
                let part = try await exchange(signedRequest("PUT", key: key, query: query, body: body.subdata(in: range)))
                guard (200..<300).contains(part.status), let etag = part.headers.first(name: "ETag") else {
                    await abort(key: key, uploadId: uploadId)
                    return Self.classify(part)
                }
                etags.append(etag)
            }
            let completed = try await exchange(
                signedRequest("POST", key: key, query: [("uploadId", uploadId)], body: MultipartDocument.completion(etags: etags)))
            // S3 may answer 200 and still report an error in the body of a completion.
            let failed = MultipartDocument.element("Code", in: completed.body) != nil
            if !(200..<300).contains(completed.status) || failed {
                await abort(key: key, uploadId: uploadId)
                return Self.classify(failed && completed.status < 300 ? Answer(status: 500, headers: completed.headers, body: completed.body) : completed)
            }
            var outcome = Self.classify(completed)
            outcome.responseExcerpt = "\(etags.count) parts; " + (outcome.responseExcerpt ?? "")
            return outcome
        } catch {
            await abort(key: key, uploadId: uploadId)
            throw error
        }
    }

    private func abort(key: String, uploadId: String) async {
        _ = try? await exchange(signedRequest("DELETE", key: key, query: [("uploadId", uploadId)], body: Data()))
    }

    /// A signed request for `key`, with `Content-MD5` for S3 to check the bytes against.
    func signedRequest(
        _ method: String, key: String, query: [(String, String)] = [], body: Data, contentType: String? = nil,
        at date: Date = Date()
    ) -> HTTPClientRequest {
        var headers = [("Host", base.host)]
        if let contentType { headers.append(("Content-Type", contentType)) }
        if !body.isEmpty { headers.append(("Content-MD5", Data(Insecure.MD5.hash(data: body)).base64EncodedString())) }
        let signed = signer.sign(
            .init(method: method, path: base.path(for: key), query: query, headers: headers,
                  payloadSHA256: SigV4Signer.hexSHA256(body)),
            at: date
        )
        var request = HTTPClientRequest(url: base.url(for: key, query: query))
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signed.headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "User-Agent", value: "hub-relay")
        if !body.isEmpty { request.body = .bytes(ByteBuffer(data: body)) }
        return request
    }

    /// What S3 answered: status, headers and the start of the body.
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    private func exchange(_ request: HTTPClientRequest) async throws -> Answer {
        let timeout = TimeAmount.nanoseconds(Int64(configuration.timeout.seconds * 1e9))
        let response = try await client.execute(request, timeout: timeout)
        let body = try await Self.read(response.body, keeping: Self.excerptLimit)
        return Answer(status: Int(response.status.code), headers: response.headers, body: body)
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

    static func classify(_ answer: Answer) -> DeliveryOutcome {
        classify(status: answer.status, headers: answer.headers, body: answer.body)
    }

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
        guard let code = MultipartDocument.element("Code", in: body) else { return nil }
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

    func url(for key: String, query: [(String, String)] = []) -> String {
        let path = SigV4Signer.canonicalURI(path(for: key))
        return "\(scheme)://\(host)\(path)" + (query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query))
    }
}
