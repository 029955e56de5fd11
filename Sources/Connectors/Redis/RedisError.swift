/// What can go wrong talking to Redis.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection failed or dropped (refused, reset, timed out, closed by the server): it is
    /// unusable, and the caller should reconnect.
    case connection(String)
    /// Redis answered with an error reply (`-ERR ...`); the connection is still usable.
    case server(String)
    /// The reply did not have the shape the command promises.
    case unexpectedReply(String)
    /// The connection was closed by this process.
    case closed

    public var description: String {
        switch self {
        case .connection(let message): "redis connection: \(message)"
        case .server(let message): "redis: \(message)"
        case .unexpectedReply(let message): "unexpected redis reply: \(message)"
        case .closed: "redis connection closed"
        }
    }

    /// True when the connection must be replaced before the next command.
    public var isConnectionLost: Bool {
        switch self {
        case .connection, .closed: true
        case .server, .unexpectedReply: false
        }
    }
}
