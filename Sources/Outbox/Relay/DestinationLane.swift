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
        var bucket: TokenBucket?
        var breaker: CircuitBreaker?
        /// A wake is scheduled for when the rate limit or the breaker allows claiming again.
        var timerArmed = false
        /// Slots reserved by ``DirectDispatch`` whose commit has not come back yet.
        var owed = 0
        /// Deliveries handed over by ``DirectDispatch``, waiting for the lane to start them.
        var handed: [ClaimedDelivery] = []
        /// Something may have come due (see ``wake()``): the next signal claims. A hand-over
        /// alone signals without it, so a delivery started at commit costs no claim.
        var lookForDue = true
        var stopping = false

        /// Hands back what a claim was allowed but did not use: rate tokens, and an unused probe.
        mutating func unused(_ count: Int) {
            guard count > 0 else { return }
            bucket?.giveBack(count)
            breaker?.probeUnused()
        }
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
    private let circuit: Gauge
    private let board: CircuitBoard
    private let paused: PausedDestinations
    /// 1 while ops have this destination paused: nothing is claimed, its backlog grows.
    let pausedGauge: Gauge

    init(
        destination: RelayDestination, store: OutboxStore, recorder: BatchCommitter<RecordedOutcome, Void>,
        configuration: RelayConfiguration, board: CircuitBoard, paused: PausedDestinations, logger: Logger
    ) {
        self.board = board
        self.paused = paused
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
        circuit = Gauge(label: "hub_destination_circuit_state", dimensions: [("destination", destination.name)])
        circuit.record(0)
        pausedGauge = Gauge(label: "hub_destination_paused", dimensions: [("destination", destination.name)])
        if destination.circuitBreaker != nil { board.set(destination.name, .closed) }
        let now = ContinuousClock.now
        slots.withLock {
            $0.bucket = destination.rate.map { TokenBucket(rate: $0, now: now) }
            $0.breaker = destination.circuitBreaker.map(CircuitBreaker.init(policy:))
        }
    }

    /// Asks the lane to look for due rows soon; repeated calls coalesce.
    func wake() {
        slots.withLock { $0.lookForDue = true }
        signal.yield()
    }

    /// Stops claiming and refuses reservations; ``run()`` returns once the deliveries already
    /// reserved or in flight are recorded.
    func stop() {
        slots.withLock { $0.stopping = true }
        wake()
    }

    func run() async {
        wake()
        await withDiscardingTaskGroup { group in
            for await _ in signals {
                let (handed, lookForDue, stopping, owed) = slots.withLock { slots in
                    defer { (slots.handed, slots.lookForDue) = ([], false) }
                    return (slots.handed, slots.lookForDue, slots.stopping, slots.owed)
                }
                for delivery in handed {
                    group.addTask { await self.deliver(delivery) }
                }
                if stopping {
                    if owed == 0 { break }
                    continue
                }
                if lookForDue { await claimWhileDue(into: &group) }
            }
        }
    }

    /// Takes a slot for a delivery about to be committed leased to this relay (see
    /// ``DirectDispatch``), when the lane would claim it at once anyway: not paused, breaker
    /// closed, a rate token and a slot free, and no backlog of due rows that the new one would
    /// overtake. Ordered destinations never come here: their claim enforces the subject's order.
    func reserve() -> Bool {
        guard !paused.contains(destination.name) else { return false }
        let now = ContinuousClock.now
        return slots.withLock { slots in
            guard !slots.stopping, !slots.backlogLikely, slots.inFlight < destination.concurrency,
                  (slots.breaker?.state ?? .closed) == .closed
            else { return false }
            if let granted = slots.bucket?.take(upTo: 1, now: now), granted == 0 { return false }
            slots.inFlight += 1
            slots.owed += 1
            return true
        }
    }

    /// Starts a reserved delivery: its row committed leased to this relay.
    func hand(_ delivery: ClaimedDelivery) {
        slots.withLock { slots in
            slots.owed -= 1
            slots.handed.append(delivery)
        }
        signal.yield()
    }

    /// Gives back a reservation whose row was never written leased.
    func release() {
        slots.withLock { slots in
            slots.owed -= 1
            slots.inFlight -= 1
            slots.bucket?.giveBack(1)
        }
        signal.yield()  // no row was written: nothing new to claim, but a stopping lane may be done
    }

    private func claimWhileDue(into group: inout DiscardingTaskGroup) async {
        while true {
            let (wanted, pause) = allowance()
            guard wanted > 0 else {
                if let pause { armTimer(after: pause, in: &group) }
                return
            }
            let claimed: [ClaimedDelivery]
            do {
                claimed = try await store.claim(
                    destination: destination.name, limit: wanted, owner: configuration.owner, lease: configuration.lease
                )
            } catch {
                slots.withLock { $0.unused(wanted) }
                logger.warning("claim failed; retrying on the next tick", metadata: ["hub.error": "\(error)"])
                return
            }
            slots.withLock {
                $0.inFlight += claimed.count
                $0.backlogLikely = claimed.count == wanted
                $0.unused(wanted - claimed.count)
            }
            for delivery in claimed {
                group.addTask { await self.deliver(delivery) }
            }
            if claimed.count < wanted { return }
        }
    }

    /// How many rows to claim now: bounded by free slots, the claim batch, the breaker and the
    /// rate limit. When the answer is none, `pause` says when to look again (nil: a finishing
    /// delivery will wake us).
    private func allowance() -> (wanted: Int, pause: Duration?) {
        // Paused by ops: claim nothing. Resuming wakes the lane.
        guard !paused.contains(destination.name) else { return (0, nil) }
        let now = ContinuousClock.now
        let (answer, probing) = slots.withLock { slots in
            (Self.allowance(&slots, destination: destination, claimBatch: configuration.claimBatch, now: now),
             slots.breaker?.state == .halfOpen)
        }
        if probing {
            circuit.record(1)
            board.set(destination.name, .halfOpen)
        }
        return answer
    }

    private static func allowance(
        _ slots: inout Slots, destination: RelayDestination, claimBatch: Int, now: ContinuousClock.Instant
    ) -> (wanted: Int, pause: Duration?) {
        let free = destination.concurrency - slots.inFlight
        guard free >= refill(destination: destination, claimBatch: claimBatch) else {
            slots.backlogLikely = true  // a finishing delivery wakes us once enough slots are free
            return (0, nil)
        }
        var wanted = min(free, claimBatch)
        if let allowance = slots.breaker?.allowance(now: now) { wanted = min(wanted, allowance) }
        guard wanted > 0 else { return (0, slots.breaker?.timeUntilProbe(now: now)) }
        if let granted = slots.bucket?.take(upTo: wanted, now: now) {
            guard granted > 0 else { return (0, slots.bucket?.timeUntilNext(now: now)) }
            wanted = granted
        }
        return (wanted, nil)
    }

    /// How many slots must be free before a busy lane claims again. Refilling one slot per
    /// finished delivery made each claim a round trip and a commit for a row or two; waiting
    /// for half a batch of free slots keeps claims large while the lane stays at least half
    /// full. An idle lane claims at once: all its slots are free.
    private static func refill(destination: RelayDestination, claimBatch: Int) -> Int {
        max(1, min(claimBatch, destination.concurrency) / 2)
    }

    /// One pending wake at a time, however often the lane is told to look. A pause longer than
    /// the poll interval needs none: the poll tick wakes the lane in time, and a lane stopping
    /// for shutdown never waits on a long sleep.
    private func armTimer(after pause: Duration, in group: inout DiscardingTaskGroup) {
        guard pause <= configuration.pollInterval else { return }
        let arm = slots.withLock { slots in
            defer { slots.timerArmed = true }
            return !slots.timerArmed
        }
        guard arm else { return }
        group.addTask {
            try? await Task.sleep(for: pause)
            self.slots.withLock { $0.timerArmed = false }
            self.wake()
        }
    }

    /// A failed try (one worth retrying: the destination is struggling) counts towards opening
    /// the breaker; any answer that is not such a failure closes it.
    private func updateBreaker(after outcome: DeliveryOutcome) {
        let failed = if case .retry = outcome.verdict { true } else { false }
        let now = ContinuousClock.now
        guard let changed = slots.withLock({ $0.breaker?.record(failed: failed, now: now) }) else { return }
        board.set(destination.name, changed)
        switch changed {
        case .open:
            circuit.record(2)
            logger.warning("circuit opened: not claiming until the cool-down ends", metadata: [
                "hub.cool_down": "\(destination.circuitBreaker?.coolDown ?? .zero)",
            ])
            wake()  // arms the timer for the probe
        case .halfOpen:
            circuit.record(1)
        case .closed:
            circuit.record(0)
        if destination.circuitBreaker != nil { board.set(destination.name, .closed) }
            logger.info("circuit closed: delivering again")
            wake()
        }
    }

    private func deliver(_ delivery: ClaimedDelivery) async {
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        if logger.logLevel <= .trace { attemptLogger(delivery).trace("delivering") }
        let outcome = await destination.connector.deliver(delivery)
        let elapsed = clock.now - start
        latency.recordNanoseconds(Int64(elapsed.seconds * 1e9))
        updateBreaker(after: outcome)
        let recorded = record(outcome, of: delivery, startedAt: startedAt, elapsed: elapsed)
        do {
            try await recorder.submit(recorded)
        } catch {
            // Not recorded: the row stays leased and is delivered again once the lease expires.
            attemptLogger(delivery).warning("outcome not recorded", metadata: ["hub.error": "\(error)"])
        }
        let refill = Self.refill(destination: destination, claimBatch: configuration.claimBatch)
        let wakeNow = slots.withLock { slots in
            slots.inFlight -= 1
            return slots.backlogLikely && destination.concurrency - slots.inFlight >= refill
        }
        if wakeNow { wake() }
        if recorded.status == .pending {
            await wake(at: recorded.nextAttemptAt)
        }
    }

    /// The lane's logger with this attempt's ids: everything logged about an attempt carries the
    /// message's correlation id from ingress. Built only when something is logged: formatting
    /// the ids for every delivery showed in profiles.
    private func attemptLogger(_ delivery: ClaimedDelivery) -> Logger {
        var logger = logger
        logger[metadataKey: "hub.delivery.id"] = "\(delivery.id)"
        logger[metadataKey: "hub.message.id"] = "\(delivery.message.id)"
        logger[metadataKey: "hub.attempt"] = "\(delivery.attempt)"
        if let correlation = delivery.message.correlationId { logger[metadataKey: "hub.correlation_id"] = "\(correlation)" }
        return logger
    }

    /// Turns a connector's verdict into the row's next state, and counts it.
    private func record(
        _ outcome: DeliveryOutcome, of delivery: ClaimedDelivery, startedAt: Date, elapsed: Duration
    ) -> RecordedOutcome {
        var status = DeliveryStatus.delivered
        var word = "delivered"
        var nextAttemptAt = Date()
        var error = outcome.error
        var metadata: Logger.Metadata = [:]  // the attempt's own (delivery, message, correlation) are on its logger
        if let status = outcome.httpStatus { metadata["hub.http.status"] = "\(status)" }
        switch outcome.verdict {
        case .delivered:
            delivered.increment()
            if logger.logLevel <= .debug { attemptLogger(delivery).debug("delivered", metadata: metadata) }
        case .permanent:
            status = .dead
            word = "dead"
            dead.increment()
            attemptLogger(delivery).warning("dead: permanent failure", metadata: metadata.merging(["hub.error": "\(error ?? "")"]) { $1 })
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
                attemptLogger(delivery).info("will retry", metadata: metadata.merging([
                    "hub.error": "\(error ?? "")", "hub.next_attempt_at": "\(at)",
                ]) { $1 })
            case .giveUp(let reason):
                status = .dead
                word = "dead"
                error = [error, reason].compactMap { $0 }.joined(separator: "; ")
                dead.increment()
                attemptLogger(delivery).warning("dead: retries exhausted", metadata: metadata.merging(["hub.error": "\(error ?? "")"]) { $1 })
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
