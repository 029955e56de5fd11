import Connectors
import Foundation

/// Reads a `kind: sftp-drop` source, e.g.
/// `{ kind: sftp-drop, host: files.partner.example, user: hub, private_key: /etc/hub/id_ed25519,
///    host_key: "SHA256:...", inbox: upload, glob: "*.csv", format: csv, map: { type: inventory.updated } }`.
extension ConfigLoader {
    static let fileDropKeys: Set<String> = [
        "kind", "host", "port", "user", "private_key", "host_key", "known_hosts", "pool_size", "inbox", "glob", "poll",
        "min_age", "done_marker", "after", "processed", "error", "format", "on_error", "batch", "map",
    ]

    static func fileDropSource(_ name: String, _ node: ConfigNode) throws -> FileDropSourceConfig {
        let entries = try node.mapping(allowed: fileDropKeys)
        let values = Dictionary(entries, uniquingKeysWith: { first, _ in first })
        let client = try sftpClient(node, values, for: "an sftp-drop source")
        guard let inboxNode = values["inbox"] else { throw node.error("inbox is required for an sftp-drop source") }
        let inbox = try remoteDirectory(inboxNode)
        guard let formatNode = values["format"] else {
            throw node.error("format is required (csv, ndjson, json or xml)")
        }
        var readiness = FileDropConfig.Readiness.stable(minAge: try values["min_age"]?.duration() ?? .seconds(10))
        if try values["done_marker"]?.bool() == true {
            if let minAge = values["min_age"] { throw minAge.error("min_age does not apply with done_marker: true") }
            readiness = .doneMarker
        }
        func choice<T: RawRepresentable<String>>(_ key: String, _ default: T, _ all: [T]) throws -> T {
            guard let value = values[key] else { return `default` }
            let text = try value.string()
            guard let chosen = T(rawValue: text) else {
                throw value.error("unknown \(key) '\(text)' (expected \(all.map(\.rawValue).joined(separator: " or ")))")
            }
            return chosen
        }
        let poll = try values["poll"]?.duration() ?? .seconds(10)
        guard poll >= .milliseconds(100) else { throw values["poll"]!.error("must be at least 100ms") }
        let drop = FileDropConfig(
            name: name,
            glob: GlobPattern(try values["glob"]?.string() ?? "*"),
            poll: poll,
            readiness: readiness,
            format: try fileFormat(formatNode),
            mapping: try values["map"].map { try webhookMapping($0, source: name, defaultType: "file.\(name)") }
                ?? WebhookMapping(type: try! TypeTemplate("file.\(name)")),
            onError: try choice("on_error", FileDropConfig.OnError.rejectFile, [.rejectFile, .skipRecord]),
            after: try choice("after", FileDropConfig.After.move, [.move, .delete]),
            processedDirectory: try values["processed"].map(remoteDirectory) ?? "processed",
            errorDirectory: try values["error"].map(remoteDirectory) ?? "error",
            batchSize: try values["batch"]?.int(in: 1...10_000) ?? 1_000
        )
        return FileDropSourceConfig(drop: drop, client: client, inbox: inbox)
    }

    /// `csv`, `ndjson`, `json`, `xml`, or a mapping: `{ type: csv, delimiter: ";" }`,
    /// `{ type: xml, record: inventory/vehicle }`.
    static func fileFormat(_ node: ConfigNode) throws -> FileDropConfig.Format {
        var type: String
        var options: [String: ConfigNode] = [:]
        if case .scalar = node.node {
            type = try node.string()
        } else {
            let entries = try node.mapping(allowed: ["type", "delimiter", "record"])
            options = Dictionary(entries, uniquingKeysWith: { first, _ in first })
            guard let typeNode = options["type"] else { throw node.error("type is required (csv, ndjson, json or xml)") }
            type = try typeNode.string()
        }
        switch type {
        case "csv":
            guard let delimiterNode = options["delimiter"] else { return .csv(delimiter: UInt8(ascii: ",")) }
            let text = try delimiterNode.string() == "\\t" ? "\t" : try delimiterNode.string()
            guard text.utf8.count == 1, let byte = text.utf8.first, byte != UInt8(ascii: "\""), byte != 10, byte != 13 else {
                throw delimiterNode.error("a delimiter is one ASCII character other than a quote or a line break")
            }
            return .csv(delimiter: byte)
        case "ndjson": return .ndjson
        case "json": return .jsonArray
        case "xml":
            guard let recordNode = options["record"] else {
                throw node.error("record is required for xml: the path of the record elements, e.g. inventory/vehicle")
            }
            let path = try recordNode.string().split(separator: "/").map(String.init)
            guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
                throw recordNode.error("expected element names from the root separated by /, e.g. inventory/vehicle")
            }
            return .xml(recordPath: path)
        default:
            throw (options["type"] ?? node).error("unknown format '\(type)' (expected csv, ndjson, json or xml)")
        }
    }
}
