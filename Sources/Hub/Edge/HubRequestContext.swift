import Foundation
import Hummingbird
import NIOCore

/// Per-request state: who is calling and the correlation id that follows the message everywhere.
struct HubRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var principal: Principal?
    var correlationId = ""
    /// The connected peer (rate limits key on it).
    var remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The path parameter `name` as a UUID, or 400 naming it.
    func uuidParameter(_ name: String) throws -> UUID {
        let text = parameters.get(name) ?? ""
        guard let id = UUID(uuidString: text) else { throw APIError.invalidField(name, "\(name) '\(text)' is not a UUID") }
        return id
    }

    /// Throws 401 when unauthenticated and 403 when the caller's token lacks `role`.
    func require(_ role: Role) throws -> Principal {
        guard let principal else { throw APIError.unauthorized("missing bearer token") }
        guard principal.has(role) else {
            throw APIError(
                status: .forbidden, code: "forbidden",
                message: "token '\(principal.name)' lacks the '\(role.rawValue)' role"
            )
        }
        return principal
    }
}
