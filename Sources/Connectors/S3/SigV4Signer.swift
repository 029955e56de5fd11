import Crypto
import Foundation

/// AWS Signature Version 4 for requests signed in the `Authorization` header.
///
/// The path is given decoded (an S3 object key as it is) and encoded here once, segment by
/// segment, the way S3 wants it: RFC 3986 unreserved characters are kept, `/` separates segments,
/// everything else becomes `%XX` of its UTF-8 bytes. (Other AWS services encode twice; S3 does not.)
public struct SigV4Signer: Sendable {
    /// An access key. Its `description` never shows the secret or the session token.
    public struct Credentials: Sendable, CustomStringConvertible {
        public var accessKeyId: String
        public var secretAccessKey: String
        public var sessionToken: String?

        public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }

        public var description: String { "Credentials(accessKeyId: \(accessKeyId), secret: <redacted>)" }
    }

    /// What is signed: the method, the decoded path, the query and the headers to send.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        /// Must include `host` (with the port when it is not the scheme's default).
        public var headers: [(String, String)]
        /// Lowercase hex SHA-256 of the payload (``SigV4Signer/hexSHA256(_:)``).
        public var payloadSHA256: String

        public init(
            method: String, path: String, query: [(String, String)] = [], headers: [(String, String)],
            payloadSHA256: String
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadSHA256 = payloadSHA256
        }
    }

    /// The result, with each intermediate step kept so tests can compare them with published ones.
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var authorization: String
        /// Every header to send: the request's own, the `x-amz-*` ones added, and `Authorization`.
        public var headers: [(String, String)]
    }

    public let credentials: Credentials
    public let region: String
    public let service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs `request` as of `date`. Adds `x-amz-date`, `x-amz-security-token` (with a session
    /// token) and, when `contentSHA256Header` (S3 requires it), `x-amz-content-sha256`.
    public func sign(_ request: Request, at date: Date, contentSHA256Header: Bool = true) -> Signed {
        let (amzDate, day) = Self.timestamps(date)
        var headers = request.headers
        headers.append(("x-amz-date", amzDate))
        if contentSHA256Header { headers.append(("x-amz-content-sha256", request.payloadSHA256)) }
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let canonicalRequest = [
            request.method.uppercased(),
            Self.canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            request.payloadSHA256,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hexSHA256(Data(canonicalRequest.utf8))]
            .joined(separator: "\n")
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day)))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), "
            + "Signature=\(signature)"
        headers.append(("Authorization", authorization))
        return Signed(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            authorization: authorization, headers: headers
        )
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request").
    private func signingKey(_ day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    // MARK: canonical forms

    /// Lowercase names sorted; values trimmed with inner runs of spaces collapsed; repeated names
    /// joined with commas in the order given.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (String, signed: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            values[name.lowercased(), default: []].append(collapsed)
        }
        let names = values.keys.sorted()
        let lines = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (lines, names.joined(separator: ";"))
    }

    /// The path, each segment encoded; `/` for an empty path.
    public static func canonicalURI(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { uriEncode(String($0)) }
            .joined(separator: "/")
    }

    /// Names and values encoded (a `/` too), sorted by name then value.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (uriEncode($0.0), uriEncode($0.1)) }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    private static let unreserved = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    /// AWS's UriEncode: A-Z a-z 0-9 - . _ ~ kept, every other byte as uppercase `%XX`.
    public static func uriEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    public static func hexSHA256(_ data: Data) -> String { hex(SHA256.hash(data: data)) }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// `20150830T123600Z` and `20150830`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(value ?? 0).leftPadded(to: 2) }
        let day = String(c.year ?? 0).leftPadded(to: 4) + two(c.month) + two(c.day)
        return (day + "T" + two(c.hour) + two(c.minute) + two(c.second) + "Z", day)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
