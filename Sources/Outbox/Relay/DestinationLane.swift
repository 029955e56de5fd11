import Foundation
import Logging
import Metrics
import Synchronization

/// The relay's worker for one destination: claims due rows while it has free slots, delivers
/// each in its own task, and records the outcome. It sleeps until something may be due: a
/// notification, the poll tick, a freed slot after a full claim, or a retry coming due.
final class DestinationLane: Sendable {
    private struct Slots {
        var inFlight = 0
        /// The last claim filled every free slot, so more rows are probably due.
        var backlogLikely = false
    }

    let destination: RelayDestination
    private let store: OutboxStore
    private let recorder: BatchCommitter<RecordedOutcome, Void>
    private let configuration: RelayConfiguration
    private let logger: Logger
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let slots = Mutex(Slots())
    private let delivered: Counter, retried: Counter, dead: Counter
    private let latency: Metrics.Timer

    init(
        destination: RelayDestination, store: OutboxStore, recorder: BatchCommitter<RecordedOutcome, Void>,
        configuration: RelayConfiguration, logger: Logger
    ) {
        self.destination = destination
        self.store = store
        self.recorder = recorder
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "hub.destination"] = "\(destination.name)"
        self.logger = logger
        (signals, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        let outcome = { (name: String) in
            Counter(label: "hub_deliveries_total", dimensions: [("destination", destination.name), ("outcome", name)])
        }
        delivered = outcome("delivered")
        retried = outcome("retry")
        dead = outcome("dead")
        latency = Metrics.Timer(label: "hub_delivery_duration_seconds", dimensions: [("destination", destination.name)])
    }

    /// Asks the lane to look for due rows soon; repeated calls coalesce.
    func wake() { signal.yield() }

    /// Stops claiming; ``run()`` returns once in-flight deliveries are recorded.
    func stop() { signal.finish() }

    func run() async {
        wake()
        await withDiscardingTaskGroup { group in
            for await _ in signals {
                await claimWhileDue(into: &group)
            }
        }
    }

    private func claimWhileDue(into group: inout DiscardingTaskGroup) async {
        while true {
            let free = destination.concurrency - slots.withLock { $0.inFlight }
            guard free > 0 else {
                slots.withLock { $0.backlogLikely = true }  // a finishing delivery wakes us
                return
            }
            let wanted = min(free, configuration.claimBatch)
            let claimed: [ClaimedDelivery]
            do {
                claimed = try await store.claim(
                    destination: destination.name, limit: wanted, owner: configuration.owner, lease: configuration.lease
                )
            } catch {
                logger.warning("claim failed; retrying on the next tick", metadata: ["hub.error": "\(error)"])
                return
            }
            slots.withLock {
                $0.inFlight += claimed.count
                $0.backlogLikely = claimed.count == wanted
            }
            for delivery in claimed {
                group.addTask { await self.deliver(delivery) }
            }
            if claimed.count < wanted { return }
        }
    }

    private func deliver(_ delivery: ClaimedDelivery) async {
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await destination.connector.deliver(delivery)
        let elapsed = clock.now - start
        latency.recordNanoseconds(Int64(elapsed.seconds * 1e9))
        let recorded = record(outcome, of: delivery, startedAt: startedAt, elapsed: elapsed)
        do {
            try await recorder.submit(recorded)
        } catch {
            // Not recorded: the row stays leased and is delivered again once the lease expires.
            logger.warning("outcome not recorded", metadata: ["hub.delivery.id": "\(delivery.id)", "hub.error": "\(error)"])
        }
        let wakeNow = slots.withLock { slots in
            slots.inFlight -= 1
            return slots.backlogLikely
        }
        if wakeNow { wake() }
        if recorded.status == .pending {
            await wake(at: recorded.nextAttemptAt)
        }
    }

    /// Turns a connector's verdict into the row's next state, and counts it.
    private func record(
        _ outcome: DeliveryOutcome, of delivery: ClaimedDelivery, startedAt: Date, elapsed: Duration
    ) -> RecordedOutcome {
        var status = DeliveryStatus.delivered
        var word = "delivered"
        var nextAttemptAt = Date()
        var error = outcome.error
        var metadata: Logger.Metadata = [
            "hub.delivery.id": "\(delivery.id)", "hub.message.id": "\(delivery.message.id)",
            "hub.attempt": "\(delivery.attempt)",
        ]
        if let correlation = delivery.message.correlationId { metadata["hub.correlation_id"] = "\(correlation)" }
        if let status = outcome.httpStatus { metadata["hub.http.status"] = "\(status)" }
        switch outcome.verdict {
        case .delivered:
            delivered.increment()
            logger.debug("delivered", metadata: metadata)
        case .permanent:
            status = .dead
            word = "dead"
            dead.increment()
            logger.warning("dead: permanent failure", metadata: metadata.merging(["hub.error": "\(error ?? "")"]) { $1 })
        case .retry(let retryAfter):
            let decision = destination.retry.decide(
                afterAttempt: delivery.attempt, createdAt: delivery.createdAt, now: Date(), retryAfter: retryAfter
            )
            switch decision {
            case .retry(let at):
                status = .pending
                word = "retry"
                nextAttemptAt = at
                retried.increment()
                logger.info("will retry", metadata: metadata.merging([
                    "hub.error": "\(error ?? "")", "hub.next_attempt_at": "\(at)",
                ]) { $1 })
            case .giveUp(let reason):
                status = .dead
                word = "dead"
                error = [error, reason].compactMap { $0 }.joined(separator: "; ")
                dead.increment()
                logger.warning("dead: retries exhausted", metadata: metadata.merging(["hub.error": "\(error ?? "")"]) { $1 })
            }
        }
        return RecordedOutcome(
            deliveryId: delivery.id, status: status, nextAttemptAt: nextAttemptAt,
            attempt: DeliveryAttempt(
                attempt: delivery.attempt, startedAt: startedAt, durationMilliseconds: Int(elapsed.seconds * 1000),
                outcome: word, httpStatus: outcome.httpStatus, error: error, responseExcerpt: outcome.responseExcerpt
            ),
            job: destination.jobMode.flatMap { jobUpdate(mode: $0, status: status, outcome: outcome) }
        )
    }

    /// A vendor's job step follows its delivery: a sync vendor's 2xx body is the result, an async
    /// vendor's 2xx starts the wait for its callback, and a dead delivery fails the job.
    private func jobUpdate(mode: JobMode, status: DeliveryStatus, outcome: DeliveryOutcome) -> JobStepUpdate? {
        switch (status, mode) {
        case (.delivered, .sync):
            let body = outcome.responseBody ?? ""
            let result = JSONValue(parsing: Data(body.utf8)) ?? .string(body)
            return JobStepUpdate(status: .complete, result: result.canonicalText)
        case (.delivered, .async(let deadline)):
            return JobStepUpdate(status: .processing, deadline: Date().addingTimeInterval(deadline.seconds))
        case (.dead, _):
            return JobStepUpdate(status: .failed)
        default:
            return nil
        }
    }

    /// A retry due before the next poll tick would wait for it; wake the lane on time instead.
    private func wake(at date: Date) async {
        let delay = date.timeIntervalSinceNow
        guard delay < configuration.pollInterval.seconds else { return }
        if delay > 0 {
            try? await Task.sleep(for: .seconds(delay))
        }
        wake()
    }
}
