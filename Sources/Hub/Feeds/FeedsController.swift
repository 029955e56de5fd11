import Foundation
import Hummingbird
import Outbox

/// `GET /v1/feeds`: every feed with its state, next scheduled run and latest runs;
/// `POST /v1/feeds/{name}/runs`: run one now (`{"force": true}` publishes past the shrink guard).
struct FeedsController: Sendable {
    let feeds: [FeedConfig]
    let runner: FeedRunner
    let maxBody: Int

    func register(on group: RouterGroup<HubRequestContext>) {
        group.get("feeds", use: list)
        group.post("feeds/{name}/runs", use: runNow)
    }

    @Sendable func list(_ request: Request, context: HubRequestContext) async throws -> Response {
        _ = try context.require(.read)
        return try JSONBody.response(status: .ok, ["feeds": try await FeedView.all(feeds, store: runner.store)])
    }

    @Sendable func runNow(_ request: Request, context: HubRequestContext) async throws -> Response {
        let principal = try context.require(.operator)
        let name = context.parameters.get("name") ?? ""
        guard let feed = feeds.first(where: { $0.name == name }) else { throw APIError.notFound("no feed named '\(name)'") }
        let force = try await Self.force(in: request.collectBody(upTo: maxBody))
        guard let run = try await runner.run(feed, trigger: .manual, force: force, requestedBy: principal.name) else {
            throw APIError(status: .conflict, code: "conflict", message: "feed '\(name)' is running in another hub; try again shortly")
        }
        return try JSONBody.response(status: run.status == .published ? .created : .ok, FeedRunView(run))
    }

    /// `{"force": true}`; an empty body is `false`.
    private static func force(in body: ByteBuffer) throws -> Bool {
        guard body.readableBytes > 0 else { return false }
        guard case .object(let fields)? = JSONValue(parsing: Data(buffer: body)) else {
            throw APIError.malformed("expected a JSON object such as {\"force\": true}")
        }
        if let unknown = fields.keys.sorted().first(where: { $0 != "force" }) {
            throw APIError.invalidField(unknown, "unknown field (expected force)")
        }
        switch fields["force"] {
        case nil: return false
        case .bool(let force)?: return force
        default: throw APIError.invalidField("force", "expected true or false")
        }
    }
}

struct FeedView: Encodable {
    var name: String
    var collection: String
    var filter: [String: String]
    var format: String
    var file: String
    var destination: String
    var schedule: String?
    var on_change_debounce: String?
    var shrink_guard_max_drop: Double?
    /// ok (last run published or unchanged), refused (the shrink guard holds it: needs an
    /// operator), failed, or never_run.
    var state: String
    var next_run_at: String?
    var last_published_at: String?
    var runs: [FeedRunView]

    /// Every feed, in config order, with its latest five runs.
    static func all(_ feeds: [FeedConfig], store: OutboxStore, now: Date = Date()) async throws -> [FeedView] {
        var views: [FeedView] = []
        for feed in feeds {
            views.append(FeedView(feed, history: try await store.feedHistory(feed.name, limit: 5), now: now))
        }
        return views
    }

    init(_ feed: FeedConfig, history: FeedHistory, now: Date) {
        name = feed.name
        collection = feed.collection
        filter = feed.filter.mapValues { value in
            if case .string(let text) = value { return text }
            return value.canonicalText
        }
        format = feed.formatName
        file = feed.file.description
        destination = feed.destination
        schedule = feed.schedule?.description
        on_change_debounce = feed.onChangeDebounce.map(Units.format)
        shrink_guard_max_drop = feed.maxDrop
        switch history.recent.first?.status {
        case nil: state = "never_run"
        case .published?, .unchanged?: state = "ok"
        case .refused?: state = "refused"
        case .failed?: state = "failed"
        }
        next_run_at = feed.schedule?.next(lastFiredAt: history.lastScheduledAt, start: now).map(Timestamp.format)
        last_published_at = history.lastPublished.map { Timestamp.format($0.startedAt) }
        runs = history.recent.map(FeedRunView.init)
    }
}

struct FeedRunView: Encodable {
    var id: String
    var feed: String
    var trigger: String
    var forced: Bool
    var requested_by: String?
    var status: String
    var started_at: String
    var duration_ms: Int
    var items: Int
    var bytes: Int
    var sha256: String?
    var file_name: String?
    var message_id: String?
    var detail: String?

    init(_ run: FeedRun) {
        id = run.id.lowercasedString
        feed = run.feed
        trigger = run.trigger.rawValue
        forced = run.forced
        requested_by = run.requestedBy
        status = run.status.rawValue
        started_at = Timestamp.format(run.startedAt)
        duration_ms = run.durationMs
        items = run.items
        bytes = run.bytes
        sha256 = run.sha256
        file_name = run.fileName
        message_id = run.messageId?.lowercasedString
        detail = run.detail
    }
}
