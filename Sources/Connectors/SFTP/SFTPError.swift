/// Why an SFTP operation failed, and whether trying again could help.
///
/// Unreachable servers, timeouts and dropped connections are worth another try; a host key that
/// is not the pinned one, a refused login and a refused permission are not.
public struct SFTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The TCP connection could not be made (refused, no route, unknown host).
        case unreachable
        /// The server did not answer in time.
        case timeout
        /// The SSH connection broke or the server spoke nonsense.
        case transport
        /// The server's host key is not the pinned one (or not in known_hosts).
        case hostKeyRejected
        /// The server refused the user or the key, or the key file could not be used.
        case authenticationFailed
        /// The SFTP server answered an operation with this status (`SSH_FX_*`).
        case status(UInt)
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// SFTP statuses that say the request itself is wrong for this server: retrying sends the same.
    static let permanentStatuses: Set<UInt> = [
        3,  // PERMISSION_DENIED
        8,  // OP_UNSUPPORTED
        12,  // WRITE_PROTECT
        19,  // NOT_A_DIRECTORY
        20,  // INVALID_FILENAME
    ]

    /// Trying again cannot help.
    public var isPermanent: Bool {
        switch kind {
        case .hostKeyRejected, .authenticationFailed: return true
        case .status(let code): return Self.permanentStatuses.contains(code)
        case .unreachable, .timeout, .transport: return false
        }
    }

    /// The session that saw this error cannot be used again (an SFTP status leaves it healthy).
    var breaksSession: Bool {
        if case .status = kind { return false }
        return true
    }

    public static let noSuchFile: UInt = 2
    public static let failure: UInt = 4
    public static let noSuchPath: UInt = 10
    public static let fileAlreadyExists: UInt = 11

    var isNoSuchFile: Bool { kind == .status(Self.noSuchFile) || kind == .status(Self.noSuchPath) }

    static func statusName(_ code: UInt) -> String {
        let names: [UInt: String] = [
            1: "end of file", 2: "no such file", 3: "permission denied", 4: "failure", 5: "bad message",
            6: "no connection", 7: "connection lost", 8: "operation unsupported", 9: "invalid handle",
            10: "no such path", 11: "file already exists", 12: "write protected", 13: "no media",
            14: "no space on filesystem", 15: "quota exceeded", 18: "directory not empty", 19: "not a directory",
            20: "invalid filename", 21: "link loop",
        ]
        return names[code] ?? "status \(code)"
    }
}
