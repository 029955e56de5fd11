import Foundation

/// A drop folder on an SFTP server. Directories for taken files are relative to the inbox
/// (`processed` is `<inbox>/processed`) unless absolute.
public struct SFTPDropFolder: DropFolder {
    public let client: SFTPClient
    public let inbox: String

    public init(client: SFTPClient, inbox: String) {
        self.client = client
        self.inbox = inbox
    }

    public func list() async throws -> [DropEntry] {
        try await client.list(inbox).filter { !$0.isDirectory && !$0.name.hasPrefix(".") }.map {
            DropEntry(name: $0.name, size: Int($0.size), mtime: $0.modified)
        }
    }

    public func download(_ name: String, to destination: URL) async throws {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path])
        }
        let handle = try FileHandle(forWritingTo: destination)
        defer { try? handle.close() }
        try await client.read(path(name)) { chunk in try handle.write(contentsOf: chunk) }
    }

    public func move(_ name: String, toDirectory directory: String) async throws {
        let target = resolve(directory)
        try await client.makeDirectories(target)
        try await client.rename(path(name), to: target + "/" + name, replacing: true)
    }

    public func remove(_ name: String) async throws {
        try await client.remove(path(name))
    }

    public func write(_ contents: Data, as name: String, inDirectory directory: String) async throws {
        try await client.upload(contents, to: resolve(directory) + "/" + name)
    }

    private func path(_ name: String) -> String { inbox + "/" + name }

    private func resolve(_ directory: String) -> String {
        directory.hasPrefix("/") ? directory : inbox + "/" + directory
    }
}
