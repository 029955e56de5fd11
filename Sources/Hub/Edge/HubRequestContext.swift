import Hummingbird

/// Per-request state: who is calling and the correlation id that follows the message everywhere.
struct HubRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var principal: Principal?
    var correlationId = ""

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Throws 401 when unauthenticated and 403 when the caller's token lacks `role`.
    func require(_ role: Role) throws -> Principal {
        guard let principal else { throw APIError.unauthorized("missing bearer token") }
        guard principal.roles.contains(role) else {
            throw APIError(
                status: .forbidden, code: "forbidden",
                message: "token '\(principal.name)' lacks the '\(role.rawValue)' role"
            )
        }
        return principal
    }
}
