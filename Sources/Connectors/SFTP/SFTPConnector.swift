import Foundation
import Outbox

/// Delivers a message as one file on an SFTP server: `directory/` plus the name from an
/// ``ObjectKeyTemplate`` (same traversal rules as S3 keys), written under a temporary name and
/// renamed, so a partner polling the directory never sees a partial file.
///
/// The name depends only on the message, so a retry replaces the file it may already have written.
/// Unreachable servers, timeouts and dropped connections are retried; a host key that is not the
/// pinned one, a refused login and a refused permission are permanent (the error says which).
public struct SFTPConnector: Connector {
    /// What the file holds.
    public enum Content: String, Sendable, CaseIterable {
        /// The message's data, as stored (canonical JSON): the same bytes an S3 object holds.
        case data
        /// The CloudEvents JSON an http destination posts.
        case event
    }

    public struct Configuration: Sendable, CustomStringConvertible {
        public var client: SFTPClient.Configuration
        /// Where files go; relative to the login directory unless it starts with `/`. Empty: the login directory.
        public var directory: String
        public var file: ObjectKeyTemplate
        public var content: Content

        public init(client: SFTPClient.Configuration, directory: String, file: ObjectKeyTemplate, content: Content = .data) {
            self.client = client
            self.directory = directory
            self.file = file
            self.content = content
        }

        public var description: String { "SFTP(\(client), directory: \(directory), file: \(file))" }
    }

    public let configuration: Configuration
    public let client: SFTPClient
    /// Where the bytes of messages that carry a file (feeds) are read from.
    private let files: OutboxStore?

    public init(configuration: Configuration, files: OutboxStore? = nil) {
        self.configuration = configuration
        self.client = SFTPClient(configuration: configuration.client)
        self.files = files
    }

    public func deliver(_ delivery: ClaimedDelivery) async -> DeliveryOutcome {
        let path: String
        do {
            path = try self.path(for: delivery.message)
        } catch {
            return DeliveryOutcome(verdict: .permanent, error: "file name: \(error)")
        }
        let bytes: Data
        switch configuration.content {
        case .data:
            do {
                bytes = try await MessageBody.of(delivery.message, files: files).bytes
            } catch {
                return error.outcome
            }
        case .event: bytes = Data(DeliveryPayload.render(delivery.message).utf8)
        }
        do {
            try await client.upload(bytes, to: path)
            return DeliveryOutcome(verdict: .delivered, responseExcerpt: "wrote \(path) (\(bytes.count) bytes)")
        } catch let error as SFTPError {
            return DeliveryOutcome(verdict: error.isPermanent ? .permanent : .retry(after: nil), error: "SFTP \(error)")
        } catch {
            return DeliveryOutcome(verdict: .retry(after: nil), error: "SFTP \(error)")
        }
    }

    /// The remote path of `message`'s file.
    public func path(for message: CanonicalMessage) throws -> String {
        let name = try configuration.file.render(message)
        return configuration.directory.isEmpty ? name : configuration.directory + "/" + name
    }
}
