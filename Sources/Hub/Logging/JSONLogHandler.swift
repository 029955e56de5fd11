import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Outbox
import Synchronization

/// Writes each log record as one JSON object on one line:
/// `{"label", "level", "message", "metadata": {...}, "timestamp"}`, keys sorted.
///
/// Metadata whose last dotted component names a credential (`authorization`, `password`,
/// `secret`, `signature`, `token`, `api_key`) is written as `"[redacted]"`: Hub never logs
/// credentials, and this keeps a slip from reaching the log.
struct JSONLogHandler: LogHandler {
    static let redactedKeys: Set<String> = ["authorization", "password", "secret", "signature", "token", "api_key"]

    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let label: String
    let output: LogOutput

    init(label: String, output: LogOutput = .standardError) {
        self.label = label
        self.output = output
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        var record: [String: JSONValue] = [
            "timestamp": .string(Timestamp.format(Date())), "level": .string(event.level.rawValue),
            "message": .string(event.message.description), "label": .string(label),
        ]
        if !merged.isEmpty {
            record["metadata"] = .object(merged.reduce(into: [:]) { fields, entry in
                fields[entry.key] = Self.isCredential(entry.key) ? .string("[redacted]") : Self.json(entry.value)
            })
        }
        output.write(JSONValue.object(record).canonicalText + "\n")
    }

    static func isCredential(_ key: String) -> Bool {
        let last = key.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return redactedKeys.contains(last)
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let entries): .object(entries.mapValues(json))
        }
    }
}

/// Where log lines go: a file descriptor (whole lines, one write each), or memory (tests).
final class LogOutput: Sendable {
    static let standardError = LogOutput(fileDescriptor: 2)
    static let standardOutput = LogOutput(fileDescriptor: 1)

    private let fileDescriptor: Int32?
    private let captured = Mutex<[String]>([])

    private init(fileDescriptor: Int32?) {
        self.fileDescriptor = fileDescriptor
    }

    /// Keeps every line in memory: ``lines``.
    static func memory() -> LogOutput { LogOutput(fileDescriptor: nil) }

    var lines: [String] { captured.withLock { $0 } }

    func write(_ line: String) {
        guard let fileDescriptor else {
            captured.withLock { $0.append(line) }
            return
        }
        let bytes = Array(line.utf8)
        // One writer at a time: lines from concurrent tasks never interleave.
        captured.withLock { _ in writeAll(bytes, to: fileDescriptor) }
    }
}

private func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer in write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset) }
        if written <= 0 { return }
        offset += written
    }
}
