import Foundation
import Outbox

/// A CloudEvents 1.0 event as `/v2` receives it, checked attribute by attribute so a bad event
/// is told which attribute is wrong. `fieldPrefix` names the event inside a batch (`[2].type`).
struct CloudEvent {
    /// Attribute names Hub itself adds to the events it shows; an event may not bring its own.
    static let reservedExtensions: Set<String> = ["idempotencykey", "correlationid", "deliveries", "receivedat"]
    static let contextAttributes: Set<String> = [
        "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema",
    ]

    var id: String
    var source: String
    var type: String
    var subject: String?
    var time: Date?
    var dataContentType: String
    /// JSON content: the value itself. Other content: its bytes as a base64 JSON string.
    var data: JSONValue
    /// Extension attributes, plus `dataschema` when given (it travels the same way).
    var extensions: [String: JSONValue]

    /// Structured mode: one JSON object (`application/cloudevents+json`, or a batch element).
    init(structured members: [String: JSONValue], fieldPrefix: String = "") throws {
        func field(_ name: String) -> String { fieldPrefix + name }
        func string(_ name: String, required: Bool, limit: Int) throws -> String? {
            guard let value = members[name], value != .null else {
                if required { throw APIError.invalidField(field(name), "\(name) is required (CloudEvents 1.0)") }
                return nil
            }
            guard case .string(let text) = value else { throw APIError.invalidField(field(name), "\(name) must be a string") }
            return try Self.check(text, name: name, field: field(name), limit: limit)
        }
        try Self.checkSpecVersion(try string("specversion", required: true, limit: 8), field: field("specversion"))
        id = try string("id", required: true, limit: 255)!
        source = try string("source", required: true, limit: 512)!
        type = try Self.checkType(try string("type", required: true, limit: 256)!, field: field("type"))
        subject = try string("subject", required: false, limit: 512)
        time = try Self.time(try string("time", required: false, limit: 64), field: field("time"))
        dataContentType = try string("datacontenttype", required: false, limit: 128) ?? "application/json"
        extensions = [:]
        if let schema = try string("dataschema", required: false, limit: 2048) { extensions["dataschema"] = .string(schema) }
        for (name, value) in members where !Self.contextAttributes.contains(name) && name != "data" && name != "data_base64" {
            if value == .null { continue }
            try Self.checkExtensionName(name, field: field(name))
            switch value {
            case .string, .int, .bool: extensions[name] = value
            default:
                throw APIError.invalidField(field(name), "extension \(name) must be a string, an integer or a boolean")
            }
        }
        let json = Self.isJSON(dataContentType)
        switch (members["data"], members["data_base64"]) {
        case (.some, .some(let encoded)) where encoded != .null:
            throw APIError.invalidField(field("data_base64"), "data and data_base64 are mutually exclusive")
        case (_, .some(.string(let encoded))):
            guard let bytes = Data(base64Encoded: encoded) else {
                throw APIError.invalidField(field("data_base64"), "data_base64 is not valid base64")
            }
            data = try Self.content(bytes, json: json, field: field("data_base64"))
        case (_, .some(let other)) where other != .null:
            throw APIError.invalidField(field("data_base64"), "data_base64 must be a string")
        case (.some(let value), _):
            if json {
                data = value
            } else {
                guard case .string(let text) = value else {
                    throw APIError.invalidField(field("data"), "data of \(dataContentType) must be a string (or use data_base64)")
                }
                data = .string(Data(text.utf8).base64EncodedString())
            }
        default:
            data = .null
        }
    }

    /// Binary mode: attributes in `ce-*` headers, the data is the body as `Content-Type` says.
    init(headers: [(name: String, value: String)], contentType: String?, body: Data) throws {
        var attributes: [String: String] = [:]
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard lowered.hasPrefix("ce-") else { continue }
            let attribute = String(lowered.dropFirst(3))
            guard attributes[attribute] == nil else {
                throw APIError.invalidField(lowered, "\(lowered) appears more than once")
            }
            // The HTTP binding percent-encodes header values that are not printable ASCII.
            attributes[attribute] = value.removingPercentEncoding ?? value
        }
        func string(_ name: String, required: Bool, limit: Int) throws -> String? {
            guard let text = attributes[name] else {
                if required { throw APIError.invalidField("ce-\(name)", "ce-\(name) is required (CloudEvents 1.0)") }
                return nil
            }
            return try Self.check(text, name: "ce-\(name)", field: "ce-\(name)", limit: limit)
        }
        try Self.checkSpecVersion(try string("specversion", required: true, limit: 8), field: "ce-specversion")
        id = try string("id", required: true, limit: 255)!
        source = try string("source", required: true, limit: 512)!
        type = try Self.checkType(try string("type", required: true, limit: 256)!, field: "ce-type")
        subject = try string("subject", required: false, limit: 512)
        time = try Self.time(try string("time", required: false, limit: 64), field: "ce-time")
        if attributes["datacontenttype"] != nil {
            throw APIError.invalidField("ce-datacontenttype", "binary mode carries the content type in Content-Type")
        }
        dataContentType = contentType ?? "application/json"
        guard dataContentType.count <= 128 else { throw APIError.invalidField("Content-Type", "Content-Type is too long") }
        extensions = [:]
        if let schema = try string("dataschema", required: false, limit: 2048) { extensions["dataschema"] = .string(schema) }
        for (name, value) in attributes where !Self.contextAttributes.contains(name) {
            try Self.checkExtensionName(name, field: "ce-\(name)")
            extensions[name] = .string(value)
        }
        data = body.isEmpty ? .null : try Self.content(body, json: Self.isJSON(dataContentType), field: "body")
    }

    /// The canonical message this event becomes: its `id` is kept as the idempotency key.
    func message(correlationId: String) -> CanonicalMessage {
        CanonicalMessage(
            source: source, type: type, subject: subject, time: time, dataContentType: dataContentType, data: data,
            idempotencyKey: id, correlationId: correlationId, extensions: extensions
        )
    }

    /// CloudEvents' natural identity: `source` + `id`.
    var dedupKey: DedupKey { DedupKey(scope: "ce:\(source)", key: id) }

    /// `application/json`, `text/json` and any `+json` type (parameters ignored).
    static func isJSON(_ contentType: String) -> Bool {
        let bare = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return bare == "application/json" || bare == "text/json" || bare.hasSuffix("+json")
    }

    private static func content(_ bytes: Data, json: Bool, field: String) throws -> JSONValue {
        guard json else { return .string(bytes.base64EncodedString()) }
        guard let value = JSONValue(parsing: bytes) else {
            throw APIError.invalidField(field, "the data is not valid JSON, as its content type says it is")
        }
        return value
    }

    private static func check(_ text: String, name: String, field: String, limit: Int) throws -> String {
        guard !text.isEmpty else { throw APIError.invalidField(field, "\(name) must not be empty") }
        guard !text.unicodeScalars.contains("\u{0}") else { throw APIError.invalidField(field, "\(name) must not contain NUL") }
        guard text.count <= limit else { throw APIError.invalidField(field, "\(name) is longer than \(limit) characters") }
        return text
    }

    /// The same characters a /v1 message type may hold, so routes match both alike.
    private static func checkType(_ type: String, field: String) throws -> String {
        guard type.allSatisfy(MessageRequest.isTypeCharacter) else {
            throw APIError.invalidField(field, "type may hold only letters, digits and . _ - : /")
        }
        return type
    }

    private static func checkSpecVersion(_ version: String?, field: String) throws {
        guard version == "1.0" else {
            throw APIError.invalidField(field, "specversion must be \"1.0\" (got \"\(version ?? "")\")")
        }
    }

    private static func time(_ text: String?, field: String) throws -> Date? {
        guard let text else { return nil }
        guard let parsed = Timestamp.parse(text) else {
            throw APIError.invalidField(field, "time must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z")
        }
        return parsed
    }

    private static func checkExtensionName(_ name: String, field: String) throws {
        guard !name.isEmpty, name.count <= 20, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) else {
            throw APIError.invalidField(field, "extension names are 1 to 20 lowercase letters or digits (CloudEvents 1.0)")
        }
        guard !reservedExtensions.contains(name) else {
            throw APIError.invalidField(field, "\(name) is an attribute Hub sets itself")
        }
    }
}
