import Connectors
import Foundation
import Logging
import Metrics
import Outbox

/// Runs a feed: streams the collection's documents through the feed's format into a file
/// stored with its message, then publishes it through the outbox (one delivery to the feed's
/// destination, so retries, attempts and replay apply) unless it is unchanged since the last
/// published run or the shrink guard holds it back. Everything a run did is one row in
/// `feed_runs`.
struct FeedRunner: Sendable {
    let store: OutboxStore
    let projection: ProjectionStore
    let logger: Logger

    /// What happened; nil when another hub was running this feed (or its schedule already
    /// fired there), so this one did nothing.
    func run(
        _ feed: FeedConfig, trigger: FeedRun.Trigger, force: Bool = false, requestedBy: String? = nil,
        scheduledFor due: Date? = nil
    ) async throws -> FeedRun? {
        let started = Date()
        let clock = ContinuousClock()
        let startedAt = clock.now
        let messageId = UUIDv7.make()
        let fileName = feed.file.render(feed: feed.name, at: started)
        var run = FeedRun(
            feed: feed.name, trigger: trigger, forced: force, requestedBy: requestedBy, status: .failed, startedAt: started,
            fileName: fileName)
        do {
            // Read before rendering: a change while the feed renders makes the next run.
            run.changeMark = try await projection.changeMark(collection: feed.collection)
            let finished = try await store.runFeed(feed.name, messageId: messageId) { file, history -> OutboxStore.FeedDraft? in
                // Another hub may have fired this schedule between our look and the lock.
                if let due, let fired = history.lastScheduledAt, fired >= due { return nil }
                let items = try await render(feed, into: file)
                run.items = items
                run.bytes = file.bytes
                run.sha256 = try await file.finish()
                run.durationMs = Int((clock.now - startedAt).seconds * 1000)
                let decision = FeedDecision.decide(
                    fileName: fileName, sha256: run.sha256 ?? "", items: items, lastPublished: history.lastPublished,
                    maxDrop: feed.maxDrop, force: force)
                switch decision {
                case .publish:
                    run.status = .published
                    run.messageId = messageId
                    run.detail = force ? "forced past the shrink guard" : nil
                    return .init(run: run, submission: submission(feed, run: run, messageId: messageId))
                case .unchanged(let detail):
                    run.status = .unchanged
                    run.detail = detail
                case .refused(let detail):
                    run.status = .refused
                    run.detail = detail
                }
                return .init(run: run, submission: nil)
            }
            if let finished { record(finished) }
            return finished
        } catch {
            run.status = .failed
            run.detail = "\(error)"
            run.durationMs = Int((clock.now - startedAt).seconds * 1000)
            logger.error("feed run failed", metadata: ["hub.feed": "\(feed.name)", "hub.error": "\(error)"])
            try? await store.recordFeedRun(run)
            record(run)
            throw error
        }
    }

    /// Writes header, items and footer to `file`, one chunk of output at a time.
    private func render(_ feed: FeedConfig, into file: MessageFileWriter) async throws -> Int {
        var output: [UInt8] = []
        output.reserveCapacity(MessageFileWriter.chunkSize)
        feed.format.header(into: &output)
        var items = 0
        try await projection.feedRows(collection: feed.collection, facets: feed.filter, cells: feed.format.cells) { row in
            try feed.format.item(row, index: items, into: &output)
            items += 1
            if output.count >= MessageFileWriter.chunkSize {
                try await file.write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        feed.format.footer(items: items, into: &output)
        try await file.write(output)
        return items
    }

    /// The message carrying the file: routed straight to the feed's destination, its subject
    /// the file name (destinations build object keys and paths from it).
    private func submission(_ feed: FeedConfig, run: FeedRun, messageId: UUID) -> Submission {
        let file = StoredFile(
            name: run.fileName ?? feed.name, contentType: feed.format.contentType, bytes: run.bytes,
            sha256: run.sha256 ?? "")
        let data = file.description(adding: [
            "feed": .string(feed.name), "run": .string(run.id.uuidString.lowercased()), "items": .int(Int64(run.items)),
        ])
        let message = CanonicalMessage(
            id: messageId, source: "feed/\(feed.name)", type: "feed.published", subject: file.name,
            time: run.startedAt, dataContentType: StoredFile.messageContentType, data: data)
        return Submission(message: message, destinations: [feed.destination])
    }

    private func record(_ run: FeedRun) {
        Counter(label: "hub_feed_runs_total", dimensions: [("feed", run.feed), ("status", run.status.rawValue)]).increment()
        logger.info(
            "feed run",
            metadata: [
                "hub.feed": "\(run.feed)", "hub.feed.status": "\(run.status.rawValue)", "hub.feed.items": "\(run.items)",
                "hub.feed.bytes": "\(run.bytes)", "hub.feed.duration_ms": "\(run.durationMs)",
            ])
    }
}
