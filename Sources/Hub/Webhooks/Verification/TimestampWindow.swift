import Foundation

/// How far a signed timestamp may be from the receiver's clock, in either direction. Outside it a
/// correctly signed request is a replay (or a badly skewed clock) and is refused.
struct TimestampWindow: Sendable, Equatable {
    static let defaultTolerance: Duration = .seconds(300)

    var tolerance: Duration

    init(tolerance: Duration = TimestampWindow.defaultTolerance) {
        self.tolerance = tolerance
    }

    /// Parses unix seconds: ASCII digits only, so "+1", " 1" or "1e9" cannot sign differently
    /// from what is checked.
    static func seconds(_ text: some StringProtocol, header: String) throws(VerificationFailure) -> Int {
        guard !text.isEmpty, text.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int(text)
        else {
            throw VerificationFailure(check: .malformedHeader, message: "\(header) is not a unix timestamp in seconds")
        }
        return value
    }

    func check(_ timestamp: Int, now: Date, header: String) throws(VerificationFailure) {
        let age = now.timeIntervalSince1970 - Double(timestamp)
        let limit = tolerance / .seconds(1)
        if age > limit {
            throw VerificationFailure(
                check: .staleTimestamp, message: "\(header) is older than the allowed tolerance of \(tolerance)"
            )
        }
        if -age > limit {
            throw VerificationFailure(
                check: .futureTimestamp,
                message: "\(header) is further ahead than the allowed tolerance of \(tolerance)"
            )
        }
    }
}
