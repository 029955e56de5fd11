import Foundation

/// A file read in fixed-size chunks, so that a reader's memory does not grow with the file.
public struct ByteChunks {
    public static let defaultChunkSize = 64 << 10

    private let handle: FileHandle
    private let chunkSize: Int

    public init(reading url: URL, chunkSize: Int = defaultChunkSize) throws {
        handle = try FileHandle(forReadingFrom: url)
        self.chunkSize = chunkSize
    }

    /// The next chunk, or nil at the end of the file.
    public mutating func next() throws -> [UInt8]? {
        guard let data = try handle.read(upToCount: chunkSize), !data.isEmpty else { return nil }
        return [UInt8](data)
    }

    public func close() { try? handle.close() }
}
