import Connectors
import Crypto
import Foundation
import Logging
import Outbox

/// Takes one complete file from a drop folder into the outbox, exactly once: its records are
/// committed in batches, each with the file's progress, before the file leaves the inbox. A crash
/// at any point is safe: a file already recorded is only moved, a file half-committed resumes
/// after its last batch, and each record's key (`<sha256>:<index>`) refuses a second copy.
struct FileDropIntake: Sendable {
    enum Taken: Sendable, Equatable {
        /// `skipped` describes the bad records left out (the first ``IntakeReport/listedProblems``).
        case ingested(records: Int, duplicates: Int, skipped: [String])
        /// Recorded before (a crash between commit and move, or the same content again).
        case alreadyTaken(FileIntake.Status)
        case rejected(reason: String)
    }

    let config: FileDropConfig
    let store: OutboxStore
    /// Maps a record the way every pulled source does.
    let pipeline: IntakePipeline
    /// Local directory for the downloaded copy being read.
    let spool: URL
    let logger: Logger

    func take(_ entry: DropEntry, from folder: any DropFolder) async throws -> Taken {
        let path = folder.inbox + "/" + entry.name
        if let known = try await store.fileIntake(source: config.name, path: path, size: entry.size, mtime: entry.mtime),
            known.status != .ingesting
        {
            try await finish(entry.name, known.status, report: known.report, in: folder)
            return .alreadyTaken(known.status)
        }

        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let local = spool.appendingPathComponent("\(config.name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: local) }
        try await folder.download(entry.name, to: local)
        let (size, sha256) = try Self.sizeAndDigest(of: local)
        let file = DroppedFile(source: config.name, path: path, size: size, mtime: entry.mtime, sha256: sha256)

        let known = try await store.fileIntake(source: config.name, sha256: sha256)
        if let known, known.status != .ingesting {
            try await finish(entry.name, known.status, report: known.report, in: folder)
            return .alreadyTaken(known.status)
        }
        if config.onError == .rejectFile && known == nil {
            let report = try await check(local, file: file, name: entry.name)
            if !report.isEmpty {
                let text = report.text(committed: 0)
                try await store.rejectFile(file, report: text)
                try await finish(entry.name, .rejected, report: text, in: folder)
                let reason = report.fatal.map { "cannot be read past \($0)" } ?? "\(report.problemCount) bad records"
                return .rejected(reason: "\(entry.name): \(reason)")
            }
        }
        let (read, committed, duplicates, report) = try await commit(local, file: file, name: entry.name, resuming: known)
        let text = report.isEmpty ? nil : report.text(committed: committed)
        _ = try await store.accept([], progress: FileProgress(
            file: file, nextRecord: read, skipped: report.problemCount, finished: true, report: text))
        try await finish(entry.name, .ingested, report: text, in: folder)
        return .ingested(records: committed, duplicates: duplicates, skipped: report.problems)
    }

    /// Reads and maps every record without committing anything: `reject-file` must know the
    /// whole file is good before its first batch commits.
    private func check(_ local: URL, file: DroppedFile, name: String) async throws -> IntakeReport {
        var report = IntakeReport(file: file, name: name, policy: config.onError)
        do {
            for try await batch in RecordBatches(local, reader: config.format.reader, batchSize: config.batchSize) {
                for outcome in batch {
                    if case .failure(let problem) = submission(for: outcome, file: file) { report.add(problem) }
                }
            }
        } catch let problem as FileProblem {
            report.fatal = problem
        }
        return report
    }

    /// Commits the file's records batch by batch, from where a crashed run stopped.
    private func commit(_ local: URL, file: DroppedFile, name: String, resuming known: FileIntake?) async throws
        -> (read: Int, committed: Int, duplicates: Int, IntakeReport)
    {
        var report = IntakeReport(file: file, name: name, policy: config.onError, resuming: known)
        var next = known?.nextRecord ?? 0
        var committed = known?.records ?? 0
        var duplicates = 0
        let batches = RecordBatches(local, reader: config.format.reader, batchSize: config.batchSize, skipping: next)
        do {
            for try await batch in batches {
                var submissions: [Submission] = []
                for outcome in batch {
                    switch submission(for: outcome, file: file) {
                    case .success(let submission): submissions.append(submission)
                    case .failure(let problem): report.add(problem)
                    }
                }
                next += batch.count
                let results = try await store.accept(submissions, progress: FileProgress(
                    file: file, nextRecord: next, skipped: report.problemCount, finished: false,
                    report: report.isEmpty ? nil : report.text(committed: committed)))
                let accepted = results.filter { if case .accepted = $0 { true } else { false } }.count
                committed += accepted
                duplicates += results.count - accepted
            }
        } catch let problem as FileProblem {
            report.fatal = problem  // skip-record keeps what was committed before the break
        }
        return (next, committed, duplicates, report)
    }

    private func submission(for outcome: Result<FileRecord, RecordProblem>, file: DroppedFile) -> Result<Submission, RecordProblem> {
        switch outcome {
        case .failure(let problem):
            return .failure(problem)
        case .success(let record):
            switch pipeline.prepare(record.value, dedupKey: file.recordKey(record.index)) {
            case .submission(let submission): return .success(submission)
            case .rejected(let reason): return .failure(RecordProblem(index: record.index, line: record.line, reason: reason))
            }
        }
    }

    /// Moves (or deletes) the file out of the inbox and leaves the report where people look.
    private func finish(_ name: String, _ status: FileIntake.Status, report: String?, in folder: any DropFolder) async throws {
        if let report {
            try await folder.write(Data(report.utf8), as: name + ".error.txt", inDirectory: config.errorDirectory)
        }
        switch (status, config.after) {
        case (.rejected, _): try await folder.move(name, toDirectory: config.errorDirectory)
        case (_, .move): try await folder.move(name, toDirectory: config.processedDirectory)
        case (_, .delete): try await folder.remove(name)
        }
        if config.readiness == .doneMarker { try? await folder.remove(name + ReadinessTracker.markerSuffix) }
        logger.info("file taken", metadata: ["hub.source": "\(config.name)", "hub.file": "\(name)", "hub.file.status": "\(status)"])
    }

    /// The local copy's size and SHA-256, read in chunks.
    static func sizeAndDigest(of url: URL) throws -> (Int, String) {
        var chunks = try ByteChunks(reading: url)
        defer { chunks.close() }
        var hash = SHA256()
        var size = 0
        while let chunk = try chunks.next() {
            hash.update(data: chunk)
            size += chunk.count
        }
        return (size, hash.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
