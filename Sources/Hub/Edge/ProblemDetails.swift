import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// RFC 9457 problem details, the shape of every `/v2` error: the same ``APIError`` that `/v1`
/// writes as `{"error": {...}}`, so the two versions share every decision and differ only in form.
struct ProblemDetails: Encodable {
    static let mediaType = "application/problem+json"

    var type: String
    var title: String
    var status: Int
    var detail: String
    /// Hub's error code (`invalid_field`, `not_found`, ...), the same as `/v1`'s `error.code`.
    var code: String
    /// The field, header or attribute at fault.
    var field: String?

    init(_ error: APIError) {
        type = "urn:hub:problem:\(error.code)"
        title = error.status.reasonPhrase
        status = error.status.code
        detail = error.message
        code = error.code
        field = error.field
    }

    /// Whether `request` is answered in this form: it is addressed to `/v2`.
    static func applies(to request: Request) -> Bool {
        request.uri.path == "/v2" || request.uri.path.hasPrefix("/v2/")
    }

    func response(headers: HTTPFields) throws -> Response {
        var fields = headers
        fields[.contentType] = Self.mediaType
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONBody.encoder.encode(self)))
        )
    }
}
