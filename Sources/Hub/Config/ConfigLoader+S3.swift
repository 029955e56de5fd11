import Connectors
import Foundation

/// Reads a `kind: s3` destination, e.g.
/// `{ kind: s3, bucket: archive, region: eu-west-1, key: "inventory/{subject}/{id}.json",
///    access_key_id: "${S3_KEY_ID}", secret_access_key: "${S3_SECRET}" }`.
/// Secrets are never part of an error: errors name the key, not its value.
extension ConfigLoader {
    /// The keys only an s3 destination takes.
    static let s3Keys: Set<String> = [
        "bucket", "region", "endpoint", "path_style", "access_key_id", "secret_access_key", "session_token", "key",
        "content_type", "multipart",
    ]
    /// The keys only an http destination takes.
    static let httpOnlyKeys: Set<String> = ["url", "secret", "headers", "mode", "callback"]

    /// Refuses a key that belongs to the other kind: an ignored `url` or `bucket` would deliver
    /// somewhere other than intended.
    static func checkKeys(of kind: DestinationConfig.Kind, _ entries: [(key: String, value: ConfigNode)]) throws {
        let foreign: Set<String> = switch kind {
        case .http: s3Keys.union(sftpKeys).union(searchKeys)
        case .s3: httpOnlyKeys.union(sftpKeys).union(searchKeys)
        case .sftp: httpOnlyKeys.union(s3Keys).union(searchKeys)
        case .search: httpOnlyKeys.union(s3Keys).union(sftpKeys)
        }
        for (key, value) in entries where foreign.contains(key) {
            throw value.error("not valid for a kind: \(kind.rawValue) destination")
        }
    }

    static func s3Destination(_ node: ConfigNode, _ entries: [(key: String, value: ConfigNode)]) throws
        -> S3Connector.Configuration
    {
        let values = Dictionary(entries, uniquingKeysWith: { first, _ in first })
        func required(_ key: String) throws -> (String, ConfigNode) {
            guard let value = values[key] else { throw node.error("\(key) is required for an s3 destination") }
            let text = try value.string()
            guard !text.isEmpty else { throw value.error("must not be empty") }
            return (text, value)
        }
        let (bucket, bucketNode) = try required("bucket")
        guard isValidBucket(bucket) else {
            throw bucketNode.error("not a valid bucket name (3 to 63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit)")
        }
        let (region, regionNode) = try required("region")
        guard region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw regionNode.error("not a valid region (such as us-east-1)")
        }
        let (template, keyNode) = try required("key")
        let key: ObjectKeyTemplate
        do { key = try ObjectKeyTemplate(template) } catch { throw keyNode.error("\(error)") }
        let (accessKeyId, _) = try required("access_key_id")
        let (secret, _) = try required("secret_access_key")
        let token = try values["session_token"].map { try $0.string() }.flatMap { $0.isEmpty ? nil : $0 }

        var endpoint: String?
        if let endpointNode = values["endpoint"] {
            let text = try endpointNode.string()
            guard let url = URLComponents(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
                url.path.isEmpty || url.path == "/", url.query == nil, url.user == nil
            else { throw endpointNode.error("expected an http:// or https:// URL with no path, got '\(text)'") }
            endpoint = text
        }
        let pathStyle = try values["path_style"]?.bool()
        var contentType = "application/json"
        if let typeNode = values["content_type"] {
            contentType = try typeNode.string()
            guard !contentType.isEmpty, !contentType.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw typeNode.error("expected a media type such as application/json")
            }
        }
        return S3Connector.Configuration(
            bucket: bucket, region: region, endpoint: endpoint, pathStyle: pathStyle,
            credentials: .init(accessKeyId: accessKeyId, secretAccessKey: secret, sessionToken: token),
            key: key, contentType: contentType, multipart: try values["multipart"].map(multipartPolicy) ?? MultipartPolicy()
        )
    }

    /// `multipart: { threshold: 64MiB, part_size: 16MiB }`; S3 refuses parts under 5 MiB.
    static func multipartPolicy(_ node: ConfigNode) throws -> MultipartPolicy {
        var policy = MultipartPolicy()
        for (key, value) in try node.mapping(allowed: ["threshold", "part_size"]) {
            let size = try value.size()
            guard size >= MultipartPolicy.minimumPartSize else { throw value.error("must be at least 5MiB (S3's smallest part)") }
            if key == "threshold" { policy.threshold = size } else { policy.partSize = size }
        }
        return policy
    }

    /// S3's rules for new buckets, less the rarely met ones (no IP-address names, no `xn--`).
    static func isValidBucket(_ name: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard (3...63).contains(name.count), name.allSatisfy(allowed.contains),
            let first = name.first, let last = name.last, first.isLetter || first.isNumber,
            last.isLetter || last.isNumber
        else { return false }
        return !name.contains("..")
    }
}
