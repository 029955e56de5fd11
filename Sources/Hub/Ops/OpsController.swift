import Foundation
import HTTPTypes
import Hummingbird
import Outbox

/// The ops API, mounted under a version's `ops` group (`/v1/ops`): list deliveries, retry one,
/// redrive dead ones, resend delivered ones, follow a bulk action, read the audit log, pause and
/// resume destinations. GETs need `read`, actions `operator`. Errors are ``APIError``s, so
/// the group's middleware decides how they are written (JSON on /v1).
struct OpsController: Sendable {
    let runner: OpsActionRunner
    /// Configured destinations: the only ones that can be paused or resent to.
    let destinations: Set<String>
    let maxBody: Int

    private var operations: Operations { runner.operations }
    private var store: OutboxStore { runner.operations.store }

    func register(on group: RouterGroup<HubRequestContext>) {
        group.get("deliveries", use: list)
        group.post("deliveries/{id}/retry", use: retry)
        group.post("redrive", use: redrive)
        group.post("resend", use: resend)
        group.get("actions/{id}", use: action)
        group.get("audit", use: audit)
        group.post("destinations/{name}/pause") { try await setPaused(true, $0, $1) }
        group.post("destinations/{name}/resume") { try await setPaused(false, $0, $1) }
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let parameters = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        let filter = try DeliveryFilterInput.query(parameters, extra: ["limit", "cursor"])
        let (limit, cursor) = try page(parameters)
        let listed = try await store.listDeliveries(filter, limit: limit, before: cursor)
        return try JSONBody.response(status: .ok, DeliveryPage(
            deliveries: listed.map(OpsDeliveryView.init),
            next_cursor: listed.count == limit ? listed.last?.delivery.id.lowercasedString : nil
        ))
    }

    @Sendable func retry(_ request: Request, context: HubRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        let id = try context.uuidParameter("id")
        switch try await operations.retry(delivery: id, actor: principal.name) {
        case .queued:
            return try JSONBody.response(status: .ok, ["id": id.lowercasedString, "status": "pending"])
        case .notFound:
            throw APIError.notFound("no delivery with id \(id.lowercasedString)")
        case .notRetryable(let status):
            let advice = status == .delivered ? "; to send it again, resend it" : ""
            throw APIError(
                status: .conflict, code: "conflict", message: "delivery is \(status.rawValue)\(advice)", field: "id"
            )
        }
    }

    @Sendable func redrive(_ request: Request, context: HubRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        let body = try await BulkRequest(request, maxBody: maxBody, allowed: ["filter", "dry_run"])
        return try await start(.redrive(try DeliveryFilterInput.body(body.members["filter"])), body, principal)
    }

    @Sendable func resend(_ request: Request, context: HubRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        let body = try await BulkRequest(request, maxBody: maxBody, allowed: ["filter", "dry_run", "destination"])
        guard case .string(let destination)? = body.members["destination"] else {
            throw APIError.invalidField("destination", "destination is required: the destination to resend to")
        }
        try known(destination, field: "destination")
        return try await start(.resend(try DeliveryFilterInput.body(body.members["filter"]), to: destination), body, principal)
    }

    private func start(_ work: BulkWork, _ body: BulkRequest, _ principal: Principal) async throws -> Response {
        let prepared = try await operations.prepare(work, actor: principal.name, dryRun: body.dryRun)
        if body.dryRun {
            return try JSONBody.response(status: .ok, BulkAnswer(
                action: OpsActionView(prepared.action), sample: prepared.sample.map(OpsDeliveryView.init)
            ))
        }
        runner.start(prepared.action, work)
        return try JSONBody.response(
            status: .accepted, BulkAnswer(action: OpsActionView(prepared.action), sample: nil),
            headers: [.location: "actions/\(prepared.action.id.lowercasedString)"]
        )
    }

    @Sendable func action(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let id = try context.uuidParameter("id")
        guard let action = try await store.action(id: id) else {
            throw APIError.notFound("no ops action with id \(id.lowercasedString)")
        }
        return try JSONBody.response(status: .ok, OpsActionView(action))
    }

    @Sendable func audit(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let parameters = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        if let unknown = parameters.first(where: { !["limit", "cursor"].contains($0.0) }) {
            throw APIError.invalidField(unknown.0, "unknown query parameter '\(unknown.0)' (expected: limit, cursor)")
        }
        let (limit, cursor) = try page(parameters)
        let actions = try await store.actions(limit: limit, before: cursor)
        return try JSONBody.response(status: .ok, AuditPage(
            actions: actions.map(OpsActionView.init),
            next_cursor: actions.count == limit ? actions.last?.id.lowercasedString : nil
        ))
    }

    private func setPaused(_ paused: Bool, _ request: Request, _ context: HubRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        let name = context.parameters.get("name") ?? ""
        try known(name, field: "name")
        let changed = try await operations.setPaused(paused, destination: name, actor: principal.name)
        return try JSONBody.response(status: .ok, PauseAnswer(destination: name, paused: paused, changed: changed))
    }

    /// A configured destination, or 404 (a path's `name`) / 400 (a body's `destination`) naming it.
    private func known(_ destination: String, field: String) throws {
        guard !destinations.contains(destination) else { return }
        let message = "unknown destination '\(destination)' (configured: \(destinations.sorted().joined(separator: ", ")))"
        if field == "name" { throw APIError.notFound(message) }
        throw APIError.invalidField(field, message)
    }

    /// `limit` (1 to 500, default 50) and `cursor` (the last id of the previous page).
    private func page(_ parameters: [(String, String)]) throws -> (limit: Int, cursor: UUID?) {
        var limit = 50
        var cursor: UUID?
        for (name, value) in parameters {
            if name == "limit" {
                guard let parsed = Int(value), (1...500).contains(parsed) else {
                    throw APIError.invalidField("limit", "limit must be a whole number from 1 to 500")
                }
                limit = parsed
            } else if name == "cursor" {
                guard let parsed = UUID(uuidString: value) else {
                    throw APIError.invalidField("cursor", "cursor must be the next_cursor of a previous page")
                }
                cursor = parsed
            }
        }
        return (limit, cursor)
    }
}

/// The body of a redrive or resend: `{"filter": {...}, "dry_run": bool, ...}`.
private struct BulkRequest {
    var members: [String: JSONValue]
    var dryRun: Bool

    init(_ request: Request, maxBody: Int, allowed: Set<String>) async throws {
        let body = try await request.collectBody(upTo: maxBody)
        let bytes = Data(body.readableBytesView)
        if bytes.isEmpty {
            members = [:]
        } else {
            guard case .object(let members)? = JSONValue(parsing: bytes) else {
                throw APIError.malformed("the body must be a JSON object")
            }
            self.members = members
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.invalidField(unknown, "unknown field '\(unknown)' (expected: \(allowed.sorted().joined(separator: ", ")))")
        }
        switch members["dry_run"] {
        case nil, .null?: dryRun = false
        case .bool(let value)?: dryRun = value
        default: throw APIError.invalidField("dry_run", "dry_run must be true or false")
        }
    }
}

private struct DeliveryPage: Encodable {
    var deliveries: [OpsDeliveryView]
    var next_cursor: String?
}

private struct AuditPage: Encodable {
    var actions: [OpsActionView]
    var next_cursor: String?
}

private struct BulkAnswer: Encodable {
    var action: OpsActionView
    /// A dry run's first matching rows.
    var sample: [OpsDeliveryView]?
}

private struct PauseAnswer: Encodable {
    var destination: String
    var paused: Bool
    /// False when it already was in that state.
    var changed: Bool
}
