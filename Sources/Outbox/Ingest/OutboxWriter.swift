import Logging
import Metrics
import ServiceLifecycle

/// The front door of the outbox. Callers `submit` one message and are answered once it is
/// committed; meanwhile a few writer tasks commit whatever has queued up, many submissions per
/// transaction, so concurrent requests share fsyncs instead of queueing behind one each.
public final class OutboxWriter: Service, Sendable {
    private let committer: BatchCommitter<Submission, AcceptResult>
    /// Commits one batch in one transaction, with the metrics and the commit deadline.
    private let commit: @Sendable ([Submission]) async throws -> [AcceptResult]

    /// - Parameters:
    ///   - writers: transactions in flight at once; each holds one database connection.
    ///   - maxBatch: most submissions one transaction carries.
    ///   - commitTimeout: how long a batch may take before its callers hear "unavailable".
    ///   - dispatch: this process's relay, when it runs one: new deliveries it can start at once
    ///     skip the claim (see ``DirectDispatch``).
    public init(
        store: OutboxStore, writers: Int = 2, maxBatch: Int = 256, commitTimeout: Duration = .seconds(5),
        dispatch: DirectDispatch? = nil, logger: Logger
    ) {
        let accepted = Counter(label: "hub_messages_accepted_total")
        let duplicates = Counter(label: "hub_messages_duplicate_total")
        let batchSize = Recorder(label: "hub_ingest_batch_size")
        let commit: @Sendable ([Submission]) async throws -> [AcceptResult] = { submissions in
            batchSize.record(submissions.count)
            do {
                let results = try await withDeadline(commitTimeout) { try await store.accept(submissions, dispatch: dispatch) }
                let duplicateCount = results.filter { if case .duplicate = $0 { true } else { false } }.count
                accepted.increment(by: results.count - duplicateCount)
                duplicates.increment(by: duplicateCount)
                return results
            } catch {
                let reported: any Error = error is DeadlineExceeded
                    ? StoreError.unavailable("commit did not finish within \(commitTimeout)") : error
                logger.warning("ingest batch failed", metadata: [
                    "hub.batch.size": "\(submissions.count)", "hub.error": "\(reported)",
                ])
                throw reported
            }
        }
        self.commit = commit
        committer = BatchCommitter(
            maxBatch: maxBatch, workers: writers, refusal: { StoreError.unavailable("hub is shutting down") }, commit: commit
        )
    }

    /// Commits `submissions` together in one transaction of their own, all or nothing (a
    /// CloudEvents batch). Results come back in input order; a repeat within the batch is a
    /// duplicate of its first occurrence.
    public func submitTogether(_ submissions: [Submission]) async throws -> [AcceptResult] {
        try await commit(submissions)
    }

    /// Commits `submission` (batched with others) and returns once the transaction is durable.
    /// Throws ``StoreError/unavailable(_:)`` when the database cannot take it; nothing is then written.
    public func submit(_ submission: Submission) async throws -> AcceptResult {
        try await committer.submit(submission)
    }

    public func run() async throws {
        // Queued submissions are still committed on shutdown: closing only refuses new ones.
        await withGracefulShutdownHandler {
            await committer.run()
        } onGracefulShutdown: {
            self.committer.close()
        }
    }
}
