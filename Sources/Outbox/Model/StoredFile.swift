import Foundation

/// A file a message carries instead of inline data (a rendered dealer feed). The bytes are
/// stored beside the message (`message_files`, committed with it); the message's `data`
/// describes them, so ops see name, size and hash, and destinations that write objects or
/// files (S3, SFTP, HTTP) write the file's bytes with its content type.
public struct StoredFile: Sendable, Equatable {
    /// The `datacontenttype` of a message whose data describes a stored file.
    public static let messageContentType = "application/vnd.hub.file+json"

    public var name: String
    public var contentType: String
    public var bytes: Int
    /// Lowercase hex SHA-256 of the bytes.
    public var sha256: String

    public init(name: String, contentType: String, bytes: Int, sha256: String) {
        self.name = name
        self.contentType = contentType
        self.bytes = bytes
        self.sha256 = sha256
    }

    /// The file `message` carries, or nil for a message with inline data.
    public init?(carriedBy message: CanonicalMessage) {
        guard message.dataContentType == Self.messageContentType,
            case .object(let fields)? = JSONValue(parsing: message.data),
            case .string(let name)? = fields["name"], case .string(let type)? = fields["content_type"],
            case .int(let bytes)? = fields["bytes"], case .string(let sha256)? = fields["sha256"]
        else { return nil }
        self.init(name: name, contentType: type, bytes: Int(bytes), sha256: sha256)
    }

    /// The message data describing this file, plus `extra` fields (which feed, which run).
    public func description(adding extra: [String: JSONValue] = [:]) -> JSONValue {
        var fields = extra
        fields["name"] = .string(name)
        fields["content_type"] = .string(contentType)
        fields["bytes"] = .int(Int64(bytes))
        fields["sha256"] = .string(sha256)
        return .object(fields)
    }
}
