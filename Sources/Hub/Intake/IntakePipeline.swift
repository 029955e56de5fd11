import Foundation
import Outbox

/// The way from a pulled record to committed messages, shared by every pulled source: parse,
/// map (the webhook mapping), key for dedup, route, and commit through the same ``OutboxWriter``
/// as webhooks and `POST /v1/messages`, so one message and its deliveries commit together.
struct IntakePipeline: Sendable {
    /// A record ready for commit, or why it cannot become a message.
    enum Prepared: Sendable {
        case submission(Submission)
        case rejected(String)
    }

    /// What became of one record.
    enum Outcome: Sendable {
        case accepted
        case duplicate
        case rejected(String)
        /// Not committed (the database is unavailable): the record must be read again.
        case failed(String)

        /// Whether the record is finished with, so its source may forget it (XACK).
        var isSettled: Bool {
            if case .failed = self { false } else { true }
        }
    }

    let source: String
    let mapping: WebhookMapping
    let router: MessageRouter
    let writer: OutboxWriter

    /// Parses `bytes` as JSON and prepares it; `dedupKey` (already scoped) makes a re-read record a duplicate.
    func prepare(bytes: [UInt8], described what: String, dedupKey: DedupKey?) -> Prepared {
        guard let payload = JSONValue(parsing: Data(bytes)) else { return .rejected("\(what) is not valid JSON") }
        return prepare(payload, dedupKey: dedupKey)
    }

    func prepare(_ payload: JSONValue, dedupKey: DedupKey?) -> Prepared {
        do {
            let mapped = try mapping.map(payload)
            let message = CanonicalMessage(
                source: source, type: mapped.type, subject: mapped.subject, time: mapped.time, data: mapped.data,
                idempotencyKey: dedupKey?.key
            )
            return .submission(Submission(message: message, destinations: router.destinations(for: message), dedup: dedupKey))
        } catch let error as APIError {
            return .rejected(error.message)
        } catch {
            return .rejected("\(error)")
        }
    }

    /// Commits every prepared record at once (the writer groups them into few transactions) and
    /// returns each one's outcome, in order.
    func commit(_ records: [Prepared]) async -> [Outcome] {
        await withTaskGroup(of: (Int, Outcome).self) { group in
            for (index, record) in records.enumerated() {
                switch record {
                case .rejected(let reason):
                    group.addTask { (index, .rejected(reason)) }
                case .submission(let submission):
                    group.addTask {
                        do {
                            switch try await writer.submit(submission) {
                            case .accepted: return (index, .accepted)
                            case .duplicate: return (index, .duplicate)
                            }
                        } catch {
                            return (index, .failed("\(error)"))
                        }
                    }
                }
            }
            var outcomes = [Outcome](repeating: .failed("not committed"), count: records.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
    }
}

extension SourceStatusReporter {
    /// Counts a batch's outcomes; the rejections are labelled with `label(index)` (an entry id).
    func record(_ outcomes: [IntakePipeline.Outcome], label: (Int) -> String) {
        var accepted = 0, duplicates = 0
        var rejections: [String] = []
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .accepted: accepted += 1
            case .duplicate: duplicates += 1
            case .rejected(let reason): rejections.append("\(label(index)): \(reason)")
            case .failed: break
            }
        }
        record(accepted: accepted, duplicates: duplicates, rejections: rejections)
    }
}
