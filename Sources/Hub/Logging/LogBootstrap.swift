import Logging
import Synchronization

/// swift-log may be bootstrapped once per process; commands ask for it through here.
enum LogBootstrap {
    private static let done = Mutex(false)

    static func once(format: LogSettings.Format) {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        switch format {
        case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        }
    }
}
