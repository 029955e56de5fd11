import Connectors
import Foundation

/// Reads a `kind: sftp` destination, e.g.
/// `{ kind: sftp, host: files.partner.example, user: hub, private_key: /etc/hub/id_ed25519,
///    host_key: "SHA256:...", directory: inbound, file: "{date}/{id}.json" }`.
/// The host key is always checked: exactly one of `host_key` and `known_hosts` is required.
extension ConfigLoader {
    /// The keys only an sftp destination takes.
    static let sftpKeys: Set<String> = [
        "host", "port", "user", "private_key", "host_key", "known_hosts", "directory", "file", "content", "pool_size",
    ]

    static func sftpDestination(_ node: ConfigNode, _ entries: [(key: String, value: ConfigNode)]) throws
        -> SFTPConnector.Configuration
    {
        let values = Dictionary(entries, uniquingKeysWith: { first, _ in first })
        let client = try sftpClient(node, values, for: "an sftp destination")
        let directory = try values["directory"].map(remoteDirectory) ?? ""
        guard let fileNode = values["file"] else { throw node.error("file is required for an sftp destination") }
        let template = try fileNode.string()
        guard !template.isEmpty else { throw fileNode.error("must not be empty") }
        let file: ObjectKeyTemplate
        do { file = try ObjectKeyTemplate(template) } catch { throw fileNode.error("\(error)") }

        var content = SFTPConnector.Content.data
        if let contentNode = values["content"] {
            let text = try contentNode.string()
            guard let value = SFTPConnector.Content(rawValue: text) else {
                let known = SFTPConnector.Content.allCases.map(\.rawValue).joined(separator: " or ")
                throw contentNode.error("unknown content '\(text)' (expected \(known))")
            }
            content = value
        }
        return SFTPConnector.Configuration(client: client, directory: directory, file: file, content: content)
    }

    /// The server, login and host-key part every SFTP user shares (destinations and drop sources).
    static func sftpClient(_ node: ConfigNode, _ values: [String: ConfigNode], for what: String) throws
        -> SFTPClient.Configuration
    {
        func required(_ key: String) throws -> (String, ConfigNode) {
            guard let value = values[key] else { throw node.error("\(key) is required for \(what)") }
            let text = try value.string()
            guard !text.isEmpty else { throw value.error("must not be empty") }
            return (text, value)
        }
        func readableFile(_ key: String) throws -> String {
            let (path, pathNode) = try required(key)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw pathNode.error("cannot read the file '\(path)'")
            }
            return path
        }
        let (host, hostNode) = try required("host")
        guard !host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }) else {
            throw hostNode.error("expected a host name or address, got '\(host)'")
        }
        let port = try values["port"]?.int(in: 1...65535) ?? 22
        let (user, _) = try required("user")
        let privateKey = try readableFile("private_key")

        let hostKey: HostKeyPolicy
        switch (values["host_key"], values["known_hosts"]) {
        case (.some(let fingerprintNode), nil):
            let fingerprint = try fingerprintNode.string()
            guard HostKeyPolicy.isFingerprint(fingerprint) else {
                throw fingerprintNode.error(
                    "expected a SHA-256 fingerprint as ssh-keygen -lf prints it (SHA256: and 43 base64 characters)")
            }
            hostKey = .fingerprint(fingerprint)
        case (nil, .some):
            hostKey = .knownHosts(path: try readableFile("known_hosts"))
        case (.some, .some(let knownHostsNode)):
            throw knownHostsNode.error("give either host_key or known_hosts, not both")
        case (nil, nil):
            throw node.error("host_key (a SHA256: fingerprint) or known_hosts is required: the server's key is always checked")
        }

        let poolSize = try values["pool_size"]?.int(in: 1...64) ?? 4
        return SFTPClient.Configuration(
            host: host, port: port, user: user, privateKey: privateKey, hostKey: hostKey, poolSize: poolSize)
    }

    /// A directory on the server: no `.`/`..` or empty segments, no control characters; a
    /// trailing `/` is dropped.
    static func remoteDirectory(_ node: ConfigNode) throws -> String {
        var directory = try node.string()
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        let segments = directory.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            segments.first != "..", segments.first != ".",
            !directory.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw node.error("a directory must not contain '.', '..' or empty segments or control characters") }
        return directory
    }
}
