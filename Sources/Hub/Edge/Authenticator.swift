import Crypto
import Foundation
import Hummingbird

/// Who a request comes from.
struct Principal: Sendable, Equatable {
    var name: String
    var roles: Set<Role>
}

/// Checks bearer tokens. Tokens are kept only as SHA-256 digests and every presented token is
/// compared against every known one in constant time, so timing says nothing about which
/// prefix was right.
struct Authenticator: Sendable {
    private let known: [(digest: SHA256Digest, principal: Principal)]

    init(tokens: [TokenConfig]) {
        known = tokens.map { (SHA256.hash(data: Data($0.token.utf8)), Principal(name: $0.name, roles: $0.roles)) }
    }

    func principal(forToken token: String) -> Principal? {
        let digest = SHA256.hash(data: Data(token.utf8))
        var match: Principal?
        for entry in known where entry.digest == digest {  // Digest equality is constant-time
            match = entry.principal
        }
        return match
    }
}

/// Authenticates `Authorization: Bearer <token>`: 401 when absent or unknown. Authorization
/// (which role an endpoint needs) is the handler's: ``HubRequestContext/require(_:)``.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let authenticator: Authenticator

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("missing Authorization: Bearer <token>")
        }
        let prefix = "Bearer "
        guard header.count > prefix.count, header.lowercased().hasPrefix(prefix.lowercased()) else {
            throw APIError.unauthorized("Authorization must be 'Bearer <token>'")
        }
        guard let principal = authenticator.principal(forToken: String(header.dropFirst(prefix.count))) else {
            throw APIError.unauthorized("unknown token")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "hub.principal"] = "\(principal.name)"
        return try await next(request, context)
    }
}
