import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Outbox

/// Delivers a message by POSTing it to a URL. 2xx is delivered; 408, 429, 5xx, timeouts and
/// connection errors are retried (honouring `Retry-After`); any other answer is permanent.
/// Every request carries the delivery id, stable across retries, so receivers can deduplicate.
public struct HTTPConnector: Connector {
    public struct Configuration: Sendable {
        public var url: String
        public var timeout: Duration
        /// Signs with Standard Webhooks when set.
        public var secret: String?
        public var headers: [(String, String)]
        /// Keep the whole 2xx answer (a sync vendor's job result), up to ``resultLimit``.
        public var keepsResponseBody: Bool

        public init(
            url: String, timeout: Duration = .seconds(5), secret: String? = nil, headers: [(String, String)] = [],
            keepsResponseBody: Bool = false
        ) {
            self.url = url
            self.timeout = timeout
            self.secret = secret
            self.headers = headers
            self.keepsResponseBody = keepsResponseBody
        }
    }

    /// How much of a response body is kept in the attempt log.
    static let excerptLimit = 512
    /// The largest job result a sync vendor may answer with.
    public static let resultLimit = 1 << 20

    private let client: HTTPClient
    private let configuration: Configuration
    private let signer: StandardWebhookSigner?

    /// Where the bytes of messages that carry a file (feeds) are read from.
    private let files: OutboxStore?

    public init(client: HTTPClient, configuration: Configuration, files: OutboxStore? = nil) {
        self.client = client
        self.configuration = configuration
        self.signer = configuration.secret.map(StandardWebhookSigner.init(secret:))
        self.files = files
    }

    public func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome {
        // A message carrying a file (a feed) posts the file itself; any other posts its event JSON.
        let body: Data
        let contentType: String
        if StoredFile(carriedBy: delivery.message) != nil {
            do {
                let file = try await MessageBody.of(delivery.message, files: files)
                (body, contentType) = (file.bytes, file.contentType ?? "application/octet-stream")
            } catch {
                return error.outcome
            }
        } else {
            (body, contentType) = (Data(DeliveryPayload.render(delivery.message).utf8), "application/json")
        }
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers = headers(for: delivery, body: body, contentType: contentType)
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let timeout = TimeAmount.nanoseconds(Int64(configuration.timeout.seconds * 1e9))
            let response = try await client.execute(request, timeout: timeout)
            let keep = configuration.keepsResponseBody ? Self.resultLimit : Self.excerptLimit
            let (answer, complete) = try await Self.read(response.body, keeping: keep)
            let excerpt = answer.getString(at: answer.readerIndex, length: min(answer.readableBytes, Self.excerptLimit))
            var outcome = Self.classify(status: Int(response.status.code), headers: response.headers, excerpt: excerpt)
            if configuration.keepsResponseBody, outcome.verdict == .delivered {
                guard complete else {
                    outcome.verdict = .permanent
                    outcome.error = "the result is larger than \(Self.resultLimit) bytes"
                    return outcome
                }
                outcome.responseBody = String(buffer: answer)
            }
            return outcome
        } catch {
            return DeliveryOutcome(verdict: .retry(after: nil), error: Self.describe(error))
        }
    }

    private func headers(for delivery: ClaimedDelivery, body: Data, contentType: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "User-Agent", value: "hub-relay")
        let id = delivery.id.uuidString.lowercased()
        let timestamp = Int(Date().timeIntervalSince1970)
        headers.add(name: "webhook-id", value: id)
        headers.add(name: "webhook-timestamp", value: "\(timestamp)")
        if let signer {
            headers.add(name: "webhook-signature", value: signer.signature(id: id, timestamp: timestamp, body: body))
        }
        headers.add(name: "Hub-Delivery-Id", value: id)
        headers.add(name: "Hub-Message-Id", value: delivery.message.id.uuidString.lowercased())
        headers.add(name: "Hub-Attempt", value: "\(delivery.attempt)")
        if let correlation = delivery.message.correlationId { headers.add(name: "X-Request-Id", value: correlation) }
        for (name, value) in configuration.headers { headers.add(name: name, value: value) }
        return headers
    }

    /// Reads the whole answer, keeping its first `limit` bytes: a long body is drained, not an error,
    /// so the connection can be reused. `complete` says whether everything fit.
    private static func read(_ body: HTTPClientResponse.Body, keeping limit: Int) async throws
        -> (ByteBuffer, complete: Bool)
    {
        var kept = ByteBuffer()
        var complete = true
        for try await var chunk in body {
            let room = limit - kept.readableBytes
            if chunk.readableBytes > room { complete = false }
            if room > 0, let slice = chunk.readSlice(length: min(room, chunk.readableBytes)) {
                kept.writeImmutableBuffer(slice)
            }
        }
        return (kept, complete)
    }

    static func classify(status: Int, headers: HTTPHeaders, excerpt: String?) -> DeliveryOutcome {
        switch status {
        case 200..<300:
            return DeliveryOutcome(verdict: .delivered, httpStatus: status, responseExcerpt: excerpt)
        case 408, 429, 500...599:
            let retryAfter = headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) }
            return DeliveryOutcome(
                verdict: .retry(after: retryAfter), httpStatus: status, error: "HTTP \(status)", responseExcerpt: excerpt
            )
        case 300..<400:
            let location = headers.first(name: "Location") ?? "?"
            return DeliveryOutcome(
                verdict: .permanent, httpStatus: status,
                error: "HTTP \(status) redirect to \(location): redirects are not followed, fix the destination url",
                responseExcerpt: excerpt
            )
        default:
            return DeliveryOutcome(verdict: .permanent, httpStatus: status, error: "HTTP \(status)", responseExcerpt: excerpt)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout { return "timed out" }
            if error == .connectTimeout { return "connect timed out" }
        }
        return "connection failed: \(error)"
    }
}
