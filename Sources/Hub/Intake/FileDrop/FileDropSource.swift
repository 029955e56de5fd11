import Connectors
import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// `kind: sftp-drop`: polls a partner's inbox and takes in each complete file, one at a time.
/// A failure (the server is down, the database is) is reported and the file stays in the inbox
/// for the next poll: nothing is moved that was not committed.
struct FileDropSource: Service {
    let folder: any DropFolder
    let intake: FileDropIntake
    let status: SourceStatusReporter
    let logger: Logger

    var config: FileDropConfig { intake.config }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var tracker = ReadinessTracker(glob: config.glob, readiness: config.readiness)
            var healthy = false
            while !Task.isCancelled {
                do {
                    let listing = try await folder.list()
                    if !healthy { status.connected() }
                    healthy = true
                    status.polled(waiting: listing.count)
                    for entry in tracker.ready(in: listing, now: Date()) where !Task.isCancelled {
                        try await take(entry)
                    }
                } catch is CancellationError {
                    break
                } catch {
                    healthy = false
                    status.failed("\(error)", reconnecting: true)
                    logger.warning("drop folder poll failed", metadata: ["hub.error": "\(error)"])
                }
                try? await Task.sleep(for: config.poll)
            }
        }
        status.stopped()
    }

    private func take(_ entry: DropEntry) async throws {
        switch try await intake.take(entry, from: folder) {
        case .ingested(let records, let duplicates, let skipped):
            status.record(accepted: records, duplicates: duplicates, rejections: skipped)
            status.fileTaken(entry.name, .ingested)
        case .alreadyTaken:
            status.fileTaken(entry.name, .alreadyTaken)
        case .rejected(let reason):
            status.record(accepted: 0, duplicates: 0, rejections: [reason])
            status.fileTaken(entry.name, .rejected)
        }
    }
}
