import Crypto
import Foundation
import Hummingbird

/// Who a request comes from.
struct Principal: Sendable, Equatable {
    var name: String
    var roles: Set<Role>

    /// Whether this caller may act in `role`: `admin` implies every role.
    func has(_ role: Role) -> Bool {
        roles.contains(role) || roles.contains(.admin)
    }
}

/// Checks bearer tokens: the config's (bootstrap) tokens first, then the database's through
/// the in-memory ``TokenDirectory``. Tokens are kept only as SHA-256 digests; config tokens are
/// compared against every known one in constant time, and database tokens are found by the
/// digest of what was presented, so timing says nothing about which prefix was right.
struct Authenticator: Sendable {
    private let known: [(digest: SHA256Digest, principal: Principal)]
    private let directory: TokenDirectory?

    init(tokens: [TokenConfig], directory: TokenDirectory? = nil) {
        known = tokens.map { (SHA256.hash(data: Data($0.token.utf8)), Principal(name: $0.name, roles: $0.roles)) }
        self.directory = directory
    }

    func principal(forToken token: String) async throws -> Principal? {
        let digest = SHA256.hash(data: Data(token.utf8))
        var match: Principal?
        for entry in known where entry.digest == digest {  // Digest equality is constant-time
            match = entry.principal
        }
        if let match { return match }
        return try await directory?.principal(forDigest: Data(digest))
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
        guard let principal = try await authenticator.principal(forToken: String(header.dropFirst(prefix.count))) else {
            throw APIError.unauthorized("unknown token")
        }
        var context = context
        context.principal = principal
        context.logger[metadataKey: "hub.principal"] = "\(principal.name)"
        return try await next(request, context)
    }
}
