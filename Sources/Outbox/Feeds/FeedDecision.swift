/// Whether a rendered feed goes out: the unchanged-content check, then the shrink guard.
public enum FeedDecision: Sendable, Equatable {
    case publish
    case unchanged(String)
    case refused(String)

    /// `maxDrop` is the share of items (0...1) a run may lose since the last published run
    /// before it is held back; `force` lets an operator publish it anyway.
    public static func decide(
        fileName: String, sha256: String, items: Int, lastPublished: FeedRun?, maxDrop: Double?, force: Bool
    ) -> FeedDecision {
        guard let last = lastPublished else { return .publish }
        if last.fileName == fileName, last.sha256 == sha256 {
            return .unchanged("same file name and content as the run published at \(Timestamp.format(last.startedAt))")
        }
        if let maxDrop, !force, last.items > 0 {
            let dropped = Double(last.items - items) / Double(last.items)
            if dropped > maxDrop {
                return .refused(
                    "shrink guard: \(last.items) → \(items) items loses \(percent(dropped)), more than max_drop "
                        + "\(percent(maxDrop)); publish anyway with `hub feeds run NAME --force`")
            }
        }
        return .publish
    }

    private static func percent(_ share: Double) -> String {
        let value = (share * 1000).rounded() / 10
        return value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }
}
