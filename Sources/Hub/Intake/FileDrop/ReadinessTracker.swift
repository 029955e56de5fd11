import Connectors
import Foundation

/// Decides which of an inbox's files are complete: a partner still uploading must not have half
/// a file taken. Remembers the previous listing to see whether a file stopped changing.
struct ReadinessTracker: Sendable {
    static let markerSuffix = ".done"

    let glob: GlobPattern
    let readiness: FileDropConfig.Readiness
    private var previous: [String: DropEntry] = [:]

    init(glob: GlobPattern, readiness: FileDropConfig.Readiness) {
        self.glob = glob
        self.readiness = readiness
    }

    /// The files of `listing` to take now, oldest first.
    mutating func ready(in listing: [DropEntry], now: Date) -> [DropEntry] {
        let candidates = listing.filter { !$0.name.hasSuffix(Self.markerSuffix) && glob.matches($0.name) }
        defer { previous = Dictionary(candidates.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) }
        let ready: [DropEntry]
        switch readiness {
        case .doneMarker:
            let names = Set(listing.map(\.name))
            ready = candidates.filter { names.contains($0.name + Self.markerSuffix) }
        case .stable(let minAge):
            let age = Double(minAge.components.seconds) + Double(minAge.components.attoseconds) / 1e18
            ready = candidates.filter { entry in
                previous[entry.name] == entry && now.timeIntervalSince(entry.mtime) >= age
            }
        }
        return ready.sorted { ($0.mtime, $0.name) < ($1.mtime, $1.name) }
    }
}
