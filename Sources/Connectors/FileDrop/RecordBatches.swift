import Foundation

/// The outcomes of a ``RecordReader`` over a local file, in batches. The reader runs on a thread
/// of its own and waits while the consumer works on a batch (commits it), so at most one batch is
/// held in memory whatever the file's size, and parsing never blocks Swift's cooperative pool.
public struct RecordBatches: AsyncSequence {
    public typealias Element = [Result<FileRecord, RecordProblem>]

    private let file: URL
    private let reader: any RecordReader
    private let batchSize: Int
    private let skipped: Int

    /// `skipping` leaves out the first outcomes: those a crashed run already committed.
    public init(_ file: URL, reader: any RecordReader, batchSize: Int, skipping skipped: Int = 0) {
        self.file = file
        self.reader = reader
        self.batchSize = Swift.max(1, batchSize)
        self.skipped = skipped
    }

    public func makeAsyncIterator() -> Iterator {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self)
        let handOff = HandOff()
        let (file, reader, batchSize, skipped) = (file, reader, batchSize, skipped)
        let thread = Thread {
            do {
                var chunks = try ByteChunks(reading: file)
                defer { chunks.close() }
                var batch: Element = []
                var seen = 0
                try reader.read(&chunks) { outcome in
                    seen += 1
                    guard seen > skipped else { return }
                    batch.append(outcome)
                    if batch.count == batchSize {
                        continuation.yield(batch)
                        batch.removeAll(keepingCapacity: true)
                        try handOff.waitForConsumer()
                    }
                }
                if !batch.isEmpty { continuation.yield(batch) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "hub-file-records"
        thread.start()
        return Iterator(stream.makeAsyncIterator(), handOff)
    }

    /// A class so that a consumer that stops early (its commit failed) releases the reading
    /// thread when it lets go of the iterator.
    public final class Iterator: AsyncIteratorProtocol {
        private var batches: AsyncThrowingStream<Element, any Error>.AsyncIterator
        private let handOff: HandOff
        private var started = false

        init(_ batches: AsyncThrowingStream<Element, any Error>.AsyncIterator, _ handOff: HandOff) {
            self.batches = batches
            self.handOff = handOff
        }

        deinit { handOff.stop() }

        public func next() async throws -> Element? {
            if started { handOff.release() }  // the consumer is done with the previous batch
            started = true
            return try await batches.next()
        }
    }

    /// Lets the reading thread wait until the consumer asks for the next batch, or goes away.
    final class HandOff: @unchecked Sendable {
        private let condition = NSCondition()
        private var released = 0
        private var stopped = false

        func release() {
            condition.lock()
            released += 1
            condition.signal()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.signal()
            condition.unlock()
        }

        func waitForConsumer() throws {
            condition.lock()
            defer { condition.unlock() }
            while released == 0 && !stopped { condition.wait() }
            if stopped { throw CancellationError() }
            released -= 1
        }
    }
}
