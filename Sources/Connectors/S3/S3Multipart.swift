import Foundation

/// When an object goes up in parts. S3 takes at most 5 GiB in one PUT, and a part that fails is
/// cheaper to resend than the whole object; every part but the last must be at least 5 MiB.
public struct MultipartPolicy: Sendable, Equatable {
    public static let minimumPartSize = 5 << 20
    /// S3's limit on parts per upload.
    public static let maximumParts = 10_000

    /// Objects larger than this are uploaded in parts.
    public var threshold: Int
    public var partSize: Int

    /// The AWS CLI's defaults.
    public init(threshold: Int = 8 << 20, partSize: Int = 8 << 20) {
        self.threshold = threshold
        self.partSize = partSize
    }

    public func usesParts(forSize size: Int) -> Bool { size > threshold }

    /// The byte ranges of the parts of an object of `size` bytes. The part size grows when the
    /// object would otherwise need more than ``maximumParts``.
    public func partRanges(forSize size: Int) -> [Range<Int>] {
        let perPart = max(partSize, (size + Self.maximumParts - 1) / Self.maximumParts)
        return stride(from: 0, to: size, by: perPart).map { $0..<min($0 + perPart, size) }
    }
}

/// The S3 documents a multipart upload reads and writes.
enum MultipartDocument {
    /// `<CompleteMultipartUpload>` listing each part's number and the ETag S3 gave it.
    static func completion(etags: [String]) -> Data {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#
        for (index, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(escaped(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return Data(xml.utf8)
    }

    /// The text of the first `<name>` element, if there is one.
    static func element(_ name: String, in body: String) -> String? {
        guard let open = body.range(of: "<\(name)>"),
            let close = body.range(of: "</\(name)>", range: open.upperBound..<body.endIndex)
        else { return nil }
        return String(body[open.upperBound..<close.lowerBound])
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
