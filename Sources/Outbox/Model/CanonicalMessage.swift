import Crypto
import Foundation

/// The one shape every ingress produces. Attribute names follow CloudEvents 1.0 so that the
/// `/v2` edge can speak CloudEvents without a translation table.
public struct CanonicalMessage: Sendable, Equatable {
    /// Time-ordered (UUIDv7).
    public var id: UUID
    /// Who sent it: a token name, a webhook source, an SFTP drop, a Redis channel.
    public var source: String
    public var type: String
    /// What it is about (a VIN, an order number); per-subject ordering keys on it.
    public var subject: String?
    /// When it happened, as the sender says.
    public var time: Date
    public var dataContentType: String
    /// The payload as canonical JSON text (see ``JSONValue/canonicalText``).
    public var data: String
    public var idempotencyKey: String?
    /// Lowercase hex SHA-256 of `data`.
    public var contentHash: String
    /// When Hub received it.
    public var receivedAt: Date
    public var correlationId: String?
    /// CloudEvents extension attributes (from /v2) as canonical JSON text of an object, or nil.
    public var extensions: String?

    public init(
        id: UUID = UUIDv7.make(),
        source: String,
        type: String,
        subject: String? = nil,
        time: Date? = nil,
        dataContentType: String = "application/json",
        data: JSONValue,
        idempotencyKey: String? = nil,
        receivedAt: Date = Date(),
        correlationId: String? = nil,
        extensions: [String: JSONValue] = [:]
    ) {
        let text = data.canonicalText
        self.init(
            id: id, source: source, type: type, subject: subject, time: time ?? receivedAt,
            dataContentType: dataContentType, data: text, idempotencyKey: idempotencyKey,
            contentHash: Self.hash(of: text), receivedAt: receivedAt, correlationId: correlationId,
            extensions: extensions.isEmpty ? nil : JSONValue.object(extensions).canonicalText
        )
    }

    /// Rebuilds a stored message exactly as it was recorded.
    public init(
        id: UUID, source: String, type: String, subject: String?, time: Date, dataContentType: String,
        data: String, idempotencyKey: String?, contentHash: String, receivedAt: Date, correlationId: String?,
        extensions: String? = nil
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.subject = subject
        self.time = time
        self.dataContentType = dataContentType
        self.data = data
        self.idempotencyKey = idempotencyKey
        self.contentHash = contentHash
        self.receivedAt = receivedAt
        self.correlationId = correlationId
        self.extensions = extensions
    }

    public static func hash(of text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).lowercaseHex
    }
}
