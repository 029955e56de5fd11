import Foundation
import Metrics
import Outbox
import Synchronization

/// What one pulled source is doing, as `GET /v1/sources` shows it. Each process keeps its own:
/// two hubs sharing a stream each report what they themselves read.
struct SourceStatus: Sendable {
    enum State: String, Sendable {
        /// Not connected yet.
        case starting
        /// Connected and reading.
        case connected
        /// The connection failed or dropped; waiting to connect again.
        case reconnecting
        /// Shut down.
        case stopped
    }

    var name: String
    var kind: String
    /// Where it reads from, without credentials (e.g. `127.0.0.1:6379/0 stream orders`).
    var from: String
    var state = State.starting
    var connectedSince: Date?
    var lastError: String?
    var lastErrorAt: Date?
    var lastMessageAt: Date?
    var ingested = 0
    var duplicates = 0
    var rejected = 0
    /// The latest record that could not be made into a message, and why.
    var lastRejection: String?
    var reconnects = 0
    /// Drop sources: when the folder was last listed, and what became of its files.
    var lastPollAt: Date?
    var files: FileCounts?

    struct FileCounts: Sendable {
        /// Files in the inbox at the last poll.
        var waiting = 0
        var ingested = 0
        /// Already recorded (a restart between commit and move, or the same content again): only moved.
        var alreadyTaken = 0
        var rejected = 0
        var lastFile: String?
    }
}

/// The live status of every pulled source in this process. Sources write through their
/// ``SourceStatusReporter``; the edge reads snapshots.
final class SourceStatusBoard: Sendable {
    private let statuses: Mutex<[String: SourceStatus]>
    private let order: [String]

    init(_ sources: [SourceStatus]) {
        order = sources.map(\.name)
        statuses = Mutex(Dictionary(uniqueKeysWithValues: sources.map { ($0.name, $0) }))
    }

    func snapshot() -> [SourceStatus] {
        statuses.withLock { statuses in order.compactMap { statuses[$0] } }
    }

    subscript(name: String) -> SourceStatus? { statuses.withLock { $0[name] } }

    func reporter(for name: String) -> SourceStatusReporter { SourceStatusReporter(board: self, name: name) }

    fileprivate func update(_ name: String, _ change: (inout SourceStatus) -> Void) {
        statuses.withLock { statuses in
            guard var status = statuses[name] else { return }
            change(&status)
            statuses[name] = status
        }
    }
}

/// One source's handle on the board, also counting `hub_source_records_total{source, outcome}`.
struct SourceStatusReporter: Sendable {
    fileprivate let board: SourceStatusBoard
    let name: String
    private let counters: [String: Counter]

    fileprivate init(board: SourceStatusBoard, name: String) {
        self.board = board
        self.name = name
        counters = Dictionary(uniqueKeysWithValues: ["accepted", "duplicate", "rejected"].map {
            ($0, Counter(label: "hub_source_records_total", dimensions: [("source", name), ("outcome", $0)]))
        })
    }

    func connected() {
        board.update(name) { status in
            status.state = .connected
            status.connectedSince = Date()
        }
    }

    /// The connection failed or dropped, or a commit failed: `error` says which.
    func failed(_ error: String, reconnecting: Bool) {
        board.update(name) { status in
            status.lastError = error
            status.lastErrorAt = Date()
            if reconnecting {
                if status.state == .connected { status.reconnects += 1 }
                status.state = .reconnecting
                status.connectedSince = nil
            }
        }
    }

    /// A drop folder was listed.
    func polled(waiting: Int) {
        board.update(name) { status in
            status.lastPollAt = Date()
            status.files = status.files ?? .init()
            status.files?.waiting = waiting
        }
    }

    enum FileFate: Sendable {
        case ingested, alreadyTaken, rejected
    }

    /// A file left the inbox; its records are counted by ``record(accepted:duplicates:rejections:)``.
    func fileTaken(_ name: String, _ fate: FileFate) {
        board.update(self.name) { status in
            var files = status.files ?? .init()
            switch fate {
            case .ingested: files.ingested += 1
            case .alreadyTaken: files.alreadyTaken += 1
            case .rejected: files.rejected += 1
            }
            files.lastFile = name
            status.files = files
        }
    }

    func stopped() {
        board.update(name) { status in
            status.state = .stopped
            status.connectedSince = nil
        }
    }

    /// Records the outcomes of one batch.
    func record(accepted: Int, duplicates: Int, rejections: [String]) {
        guard accepted + duplicates + rejections.count > 0 else { return }
        counters["accepted"]!.increment(by: accepted)
        counters["duplicate"]!.increment(by: duplicates)
        counters["rejected"]!.increment(by: rejections.count)
        board.update(name) { status in
            status.ingested += accepted
            status.duplicates += duplicates
            status.rejected += rejections.count
            if let last = rejections.last { status.lastRejection = last }
            status.lastMessageAt = Date()
        }
    }
}
