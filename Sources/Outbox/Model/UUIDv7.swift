import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Time-ordered identifiers (RFC 9562 version 7): 48 bits of Unix milliseconds, then random bits.
/// Rows keyed by them are inserted in roughly ascending order, which keeps B-tree indexes compact,
/// and an id alone tells when its row was made.
public enum UUIDv7 {
    public static func make(at date: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { bytes in
            // One call for all ten random bytes: each call is a getrandom(2) system call here.
            arc4random_buf(bytes.baseAddress! + 6, 10)
            for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
            bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
            bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
        }
        return UUID(uuid: uuid)
    }

    /// The creation time a version 7 id carries, or nil for other versions.
    public static func timestamp(of id: UUID) -> Date? {
        let bytes = id.uuid
        guard bytes.6 >> 4 == 7 else { return nil }
        let parts = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5]
        let milliseconds = parts.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
