import Foundation
import Hummingbird
import Outbox

/// `GET /v1/sources`: every configured source with its kind; for the sources this process pulls
/// from (Redis streams and pub/sub), also its connection state, last error, last message and counts.
struct SourcesController: Sendable {
    let webhookSources: [String]
    let board: SourceStatusBoard

    func register(on group: RouterGroup<HubRequestContext>) {
        group.get("sources", use: list)
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        let views = webhookSources.map { SourceView(name: $0, kind: "webhook") } + board.snapshot().map(SourceView.init)
        return try JSONBody.response(status: .ok, ["sources": views.sorted { $0.name < $1.name }])
    }
}

struct SourceView: Encodable {
    struct Counts: Encodable {
        var ingested: Int
        var duplicates: Int
        var rejected: Int
    }

    var name: String
    var kind: String
    var from: String?
    /// starting, connected, reconnecting or stopped; absent for webhooks, which are pushed to Hub.
    var state: String?
    var connected_since: String?
    var reconnects: Int?
    var last_error: String?
    var last_error_at: String?
    var last_message_at: String?
    var last_rejection: String?
    var counts: Counts?
    /// Drop sources only.
    var last_poll_at: String?
    var files: Files?

    struct Files: Encodable {
        var waiting: Int
        var ingested: Int
        var already_taken: Int
        var rejected: Int
        var last_file: String?
    }

    init(name: String, kind: String) {
        self.name = name
        self.kind = kind
    }

    init(_ status: SourceStatus) {
        name = status.name
        kind = status.kind
        from = status.from
        state = status.state.rawValue
        connected_since = status.connectedSince.map(Timestamp.format)
        reconnects = status.reconnects
        last_error = status.lastError
        last_error_at = status.lastErrorAt.map(Timestamp.format)
        last_message_at = status.lastMessageAt.map(Timestamp.format)
        last_rejection = status.lastRejection
        counts = Counts(ingested: status.ingested, duplicates: status.duplicates, rejected: status.rejected)
        last_poll_at = status.lastPollAt.map(Timestamp.format)
        files = status.files.map {
            Files(waiting: $0.waiting, ingested: $0.ingested, already_taken: $0.alreadyTaken, rejected: $0.rejected,
                  last_file: $0.lastFile)
        }
    }
}
