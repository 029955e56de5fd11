import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Outbox

/// Sets the correlation id (from `X-Request-Id`, else the trace id of `traceparent`, else a new
/// one), puts it on the logger and the response, and turns every error into a JSON answer:
/// store outages become 503, framework errors keep their status, anything else is a logged 500.
struct EdgeMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let correlationId = Self.correlationId(of: request)
        context.correlationId = correlationId
        context.logger[metadataKey: "hub.correlation_id"] = "\(correlationId)"
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try Self.answer(for: error, request: request, context: context)
        }
        response.headers[.xRequestID] = correlationId
        return response
    }

    static func correlationId(of request: Request) -> String {
        if let given = request.headers[.xRequestID], Self.isSafe(given) { return given }
        // traceparent: version-traceid-parentid-flags (W3C Trace Context)
        if let traceparent = request.headers[.traceparent] {
            let parts = traceparent.split(separator: "-")
            if parts.count == 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit) { return String(parts[1]) }
        }
        return UUIDv7.make().uuidString.lowercased()
    }

    /// Correlation ids end up in logs and headers: keep them short and printable.
    private static func isSafe(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 128
            && value.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0.value < 127 }
    }

    private static func answer(for error: any Error, request: Request, context: Context) throws -> Response {
        switch error {
        case let error as APIError:
            return try error.response(from: request, context: context)
        case let error as StoreError:
            context.logger.warning("request failed: database unavailable", metadata: ["hub.error": "\(error)"])
            return try APIError.unavailable("the database is unavailable; nothing was stored, retry later")
                .response(from: request, context: context)
        case is NIOTooManyBytesError:
            return try APIError(status: .contentTooLarge, code: "too_large", message: "request body too large")
                .response(from: request, context: context)
        case let error as HTTPResponseError:
            let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            let message = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            return try APIError(status: error.status, code: code, message: message)
                .response(from: request, context: context)
        default:
            context.logger.error("request failed", metadata: ["hub.error": "\(String(reflecting: error))"])
            return try APIError(status: .internalServerError, code: "internal", message: "internal error")
                .response(from: request, context: context)
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
    static let traceparent = Self("traceparent")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
