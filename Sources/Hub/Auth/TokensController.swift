import Foundation
import HTTPTypes
import Hummingbird
import Outbox

/// `POST /v1/tokens`, `GET /v1/tokens`, `DELETE /v1/tokens/{id}`: the admin's token endpoints.
/// A change reloads this process's token table before it answers, so a revoked token is
/// refused here from the very next request (other processes follow on the NOTIFY).
struct TokensController: Sendable {
    let admin: TokenAdmin
    let directory: TokenDirectory
    let maxBody: Int

    func register(on group: RouterGroup<HubRequestContext>) {
        group.post("tokens", use: create)
        group.get("tokens", use: list)
        group.delete("tokens/{id}", use: revoke)
    }

    @Sendable func create(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let body = try await request.collectBody(upTo: maxBody)
        guard let document = JSONValue(parsing: Data(body.readableBytesView)), case .object(let members) = document else {
            throw APIError.malformed("the body must be a JSON object {\"name\", \"role\"}")
        }
        if let unknown = members.keys.sorted().first(where: { !["name", "role"].contains($0) }) {
            throw APIError.invalidField(unknown, "unknown field '\(unknown)' (expected: name, role)")
        }
        guard case .string(let name) = members["name"] else { throw APIError.invalidField("name", "name is required (a string)") }
        guard case .string(let role) = members["role"] else { throw APIError.invalidField("role", "role is required (a string)") }
        do {
            let (token, secret) = try await admin.create(name: name, role: role)
            try await directory.reload()
            context.logger.info("token created", metadata: ["hub.token.name": "\(token.name)", "hub.token.role": "\(token.role)"])
            return try JSONBody.response(status: .created, TokenView(token, secret: secret))
        } catch let refusal as TokenAdmin.Refusal {
            if refusal.conflict {
                throw APIError(status: .conflict, code: "name_taken", message: refusal.description, field: refusal.field)
            }
            throw APIError.invalidField(refusal.field, refusal.description)
        }
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let tokens = try await admin.store.tokens().map { TokenView($0) }
        return try JSONBody.response(status: .ok, ["tokens": tokens])
    }

    @Sendable func revoke(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.admin)
        let id = try context.uuidParameter("id")
        guard let revoked = try await admin.store.revokeToken(idOrName: id.lowercasedString) else {
            throw APIError.notFound("no live token with id \(id.lowercasedString)")
        }
        try await directory.reload()
        context.logger.info("token revoked", metadata: ["hub.token.name": "\(revoked.name)"])
        return try JSONBody.response(status: .ok, TokenView(revoked))
    }
}
