import Hummingbird
import NIOCore

extension Request {
    /// The whole body, or 413 naming the limit when it is larger.
    func collectBody(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(
                status: .contentTooLarge, code: "too_large", message: "body exceeds server.max_body (\(limit) bytes)"
            )
        }
    }
}
