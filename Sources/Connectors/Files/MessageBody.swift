import Foundation
import NIOCore
import Outbox

/// What an object or file destination writes for a message: its data as stored, or, for a
/// message carrying a file (a rendered feed), that file's bytes and content type.
public struct MessageBody: Sendable {
    public var bytes: Data
    /// The file's own type; nil for inline data (the destination's configured type applies).
    public var contentType: String?

    /// A body that could not be read, as the outcome the delivery ends its try with.
    public struct Failure: Error {
        public var outcome: DeliveryOutcome
    }

    public static func of(_ message: CanonicalMessage, files: OutboxStore?) async throws(Failure) -> MessageBody {
        guard let file = StoredFile(carriedBy: message) else {
            return MessageBody(bytes: Data(message.data.utf8), contentType: nil)
        }
        guard let files else {
            throw Failure(outcome: .init(verdict: .permanent, error: "this destination cannot read stored files"))
        }
        var contents: ByteBuffer
        do {
            contents = try await files.fileContents(of: message.id)
        } catch {
            throw Failure(outcome: .init(verdict: .retry(after: nil), error: "reading the message's file: \(error)"))
        }
        let bytes = contents.readData(length: contents.readableBytes) ?? Data()
        // A file whose rows were removed (retention) or damaged must not go out short.
        guard bytes.count == file.bytes else {
            let error = "stored file \(file.name) has \(bytes.count) of its \(file.bytes) bytes"
            throw Failure(outcome: .init(verdict: .permanent, error: error))
        }
        return MessageBody(bytes: bytes, contentType: file.contentType)
    }
}
