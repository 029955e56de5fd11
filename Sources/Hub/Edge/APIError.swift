import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Outbox

/// An error the edge answers with: a status and a JSON body that names the problem, e.g.
/// `{"error": {"code": "invalid_field", "field": "type", "message": "..."}}` on `/v1`, and
/// the same as RFC 9457 problem details on `/v2` (``ProblemDetails``).
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var field: String?
    var headers: HTTPFields = [:]

    static func invalidField(_ field: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: "invalid_field", message: message, field: field)
    }

    static func malformed(_ message: String) -> APIError {
        APIError(status: .badRequest, code: "malformed_body", message: message)
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: "unauthorized", message: message, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }

    static func unavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, code: "unavailable", message: message, headers: [.retryAfter: "1"])
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }
        var error: Detail
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        if ProblemDetails.applies(to: request) { return try ProblemDetails(self).response(headers: headers) }
        var response = try JSONBody.response(status: status, Body(error: .init(code: code, message: message, field: field)))
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// JSON responses written the same way everywhere: snake_case keys are spelled by the types.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    /// `202 {idKey: id}` for a newly stored message; `200` with the original id and
    /// `Idempotent-Replayed: true` for a repeat.
    static func acceptance(_ result: AcceptResult, idKey: String) throws -> Response {
        switch result {
        case .accepted(let id, _):
            return response(status: .accepted, json: JSONText.object([idKey: id.lowercasedString]))
        case .duplicate(let originalId):
            return response(
                status: .ok, json: JSONText.object([idKey: originalId.lowercasedString]),
                headers: [.idempotentReplayed: "true"]
            )
        }
    }

    static func response(status: HTTPResponse.Status, _ body: some Encodable, headers: HTTPFields = [:]) throws -> Response {
        response(status: status, bytes: ByteBuffer(bytes: try encoder.encode(body)), headers: headers)
    }

    /// A body already written as JSON text (``JSONText``): the answers every ingest request gets.
    static func response(status: HTTPResponse.Status, json: String, headers: HTTPFields = [:]) -> Response {
        response(status: status, bytes: ByteBuffer(string: json), headers: headers)
    }

    private static func response(status: HTTPResponse.Status, bytes: ByteBuffer, headers: HTTPFields) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: bytes))
    }
}
