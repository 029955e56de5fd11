import Foundation

/// How a vendor destination works a job. `sync` answers with the result in its 2xx body;
/// `async` answers 2xx to say "accepted" and calls back later with the result.
public enum JobMode: Sendable, Equatable {
    case sync
    /// The job fails if no callback arrives within `deadline` of the vendor accepting it.
    case async(deadline: Duration)

    public var name: String {
        switch self {
        case .sync: "sync"
        case .async: "async"
        }
    }
}

/// Where a job (or one vendor's part of it) stands.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    /// Not yet taken by the vendor: queued, or being retried.
    case pending
    /// Accepted by an async vendor; waiting for its callback.
    case processing
    case complete
    case failed

    public var isFinal: Bool { self == .complete || self == .failed }
}

/// One vendor's part of a job.
public struct JobStep: Sendable, Equatable {
    public var vendor: String
    public var mode: String
    public var status: JobStatus
    /// The vendor's result as canonical JSON text.
    public var result: String?
    public var error: String?
    public var deadline: Date?
    public var updatedAt: Date
}

/// A job as its caller polls it: the status follows its steps.
public struct JobRecord: Sendable, Equatable {
    public var id: UUID
    public var createdAt: Date
    public var steps: [JobStep]

    /// Failed if any vendor failed, complete once all are, processing once any vendor has it.
    public var status: JobStatus {
        let statuses = steps.map(\.status)
        if statuses.contains(.failed) { return .failed }
        if statuses.allSatisfy({ $0 == .complete }) { return .complete }
        if statuses.contains(where: { $0 != .pending }) { return .processing }
        return .pending
    }

    public var updatedAt: Date { steps.map(\.updatedAt).max() ?? createdAt }
}

/// How the relay moves a job step when a delivery to its vendor settles.
public struct JobStepUpdate: Sendable, Equatable {
    public var status: JobStatus
    public var result: String?
    public var deadline: Date?

    public init(status: JobStatus, result: String? = nil, deadline: Date? = nil) {
        self.status = status
        self.result = result
        self.deadline = deadline
    }
}

/// What a vendor's callback did to its job.
public enum JobCallbackResult: Sendable, Equatable {
    /// The step took the callback: complete, or failed when the vendor reported an error.
    case recorded(JobStatus)
    /// The callback came after the deadline; the step is now failed as timed out.
    case tooLate
    /// No such job, or the job never went to this vendor.
    case unknownJob
    /// The step had already finished, with this result; nothing changed.
    case alreadyFinal(JobStatus, result: String?)
}
