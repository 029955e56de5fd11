import Connectors
import Foundation
import Outbox

/// The `<name>.error.txt` a person reads to learn why records of a dropped file were refused.
struct IntakeReport: Sendable {
    /// Listing more than this helps nobody; the count still says how many there were.
    static let listedProblems = 1_000

    var file: DroppedFile
    var name: String
    var policy: FileDropConfig.OnError
    var problems: [String] = []
    var problemCount = 0
    /// Set when the file could not be read past a point.
    var fatal: FileProblem?

    var isEmpty: Bool { problemCount == 0 && fatal == nil }

    mutating func add(_ problem: RecordProblem) {
        problemCount += 1
        if problems.count < Self.listedProblems { problems.append(problem.description) }
    }

    /// A report resumed after a restart starts from what the store kept: the listed problems of
    /// its text, and the count of all of them (`skipped`: the listing stops at ``listedProblems``).
    init(file: DroppedFile, name: String, policy: FileDropConfig.OnError, resuming stored: FileIntake? = nil) {
        self.file = file
        self.name = name
        self.policy = policy
        if let stored {
            problems = (stored.report ?? "").split(separator: "\n").filter { $0.hasPrefix("  line ") }
                .map { String($0.dropFirst(2)) }
            problemCount = stored.skipped
        }
    }

    func text(committed: Int) -> String {
        var lines = [
            "Hub source '\(file.source)': \(name)",
            "file: \(file.path), \(file.size) bytes, sha256 \(file.sha256)",
        ]
        if let fatal { lines.append("the file cannot be read past \(fatal)") }
        switch (policy, fatal) {
        case (.rejectFile, _):
            lines.append("on_error: reject-file: nothing from this file was committed")
        case (.skipRecord, _):
            lines.append("on_error: skip-record: \(committed) records committed, \(problemCount) left out")
        }
        if problemCount > 0 {
            lines.append("bad records (\(problemCount)):")
            lines += problems.map { "  \($0)" }
            if problemCount > problems.count { lines.append("  ... and \(problemCount - problems.count) more") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
