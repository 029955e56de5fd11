import PostgresNIO

/// Failures of the store that callers act on. Anything else is a bug and surfaces as such.
public enum StoreError: Error, CustomStringConvertible {
    /// The database could not be reached or did not answer in time; nothing was written.
    case unavailable(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "database unavailable: \(reason)"
        }
    }

    /// Maps a postgres-nio error: connection-level failures and the server refusing work
    /// (shutting down, out of connections) mean "unavailable"; the rest is rethrown as is.
    static func classify(_ error: any Error) -> any Error {
        if let error = error as? StoreError { return error }
        guard let psql = error as? PSQLError else {
            if error is CancellationError { return error }
            return StoreError.unavailable(String(describing: error))
        }
        switch psql.code {
        case .server:
            let state = psql.serverInfo?[.sqlState] ?? ""
            let unavailableClasses = ["08", "53", "57"]  // connection, resources, operator intervention
            if unavailableClasses.contains(where: state.hasPrefix) {
                return StoreError.unavailable(psql.serverInfo?[.message] ?? state)
            }
            return psql
        default:
            return StoreError.unavailable("\(psql.code)")
        }
    }
}
