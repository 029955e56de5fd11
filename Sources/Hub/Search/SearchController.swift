import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Outbox

/// `GET /v1/search/{collection}` (page-numbered) and `GET /v2/search/{collection}` (cursor
/// paging) over the current-state projection.
///
/// These sit outside the bearer-token group: a collection is public unless its config sets a
/// token of its own. Every collection limits searches per client address (429 with
/// Retry-After), checked before the token so guessing tokens is limited too.
struct SearchController: Sendable {
    struct Collection: Sendable {
        var config: CollectionConfig
        var fields: PublicFields
        var limiter: SearchRateLimiter
        var tokenDigest: SHA256Digest?
    }

    let store: ProjectionStore
    let collections: [String: Collection]

    init(store: ProjectionStore, collections: [CollectionConfig]) {
        self.store = store
        self.collections = Dictionary(uniqueKeysWithValues: collections.map { config in
            (config.name, Collection(
                config: config, fields: PublicFields(pointers: config.publicFields),
                limiter: SearchRateLimiter(rate: config.rate),
                tokenDigest: config.token.map { SHA256.hash(data: Data($0.utf8)) }
            ))
        })
    }

    func register(on router: Router<HubRequestContext>) {
        router.get("v1/search/{collection}") { request, context in
            try await search(request, context: context, paging: .pages)
        }
        router.get("v2/search/{collection}") { request, context in
            try await search(request, context: context, paging: .cursor)
        }
    }

    func search(_ request: Request, context: HubRequestContext, paging: SearchParameters.Paging) async throws -> Response {
        let name = context.parameters.get("collection") ?? ""
        guard let collection = collections[name] else {
            throw APIError(status: .notFound, code: "not_found", message: "no collection '\(name)'", field: "collection")
        }
        let client = context.remoteAddress?.ipAddress ?? "unknown"
        if let wait = collection.limiter.wait(for: client) {
            let seconds = max(1, Int(wait.seconds.rounded(.up)))
            throw APIError(
                status: .tooManyRequests, code: "rate_limited",
                message: "too many searches from this address; retry after \(seconds)s",
                headers: [.retryAfter: "\(seconds)"]
            )
        }
        if let digest = collection.tokenDigest { try Self.authorize(request, digest: digest) }

        let projection = collection.config.projection
        var parameters = try SearchParameters(request.uri.queryParameters, collection: projection, paging: paging)
        if let cursor = parameters.cursorText {
            guard let position = SearchCursor(cursor, for: parameters.query, in: name) else {
                throw APIError.invalidField("cursor", "cursor is not one this search returned (it belongs to other filters or is damaged)")
            }
            parameters.query.start = .after(key: position.key, subject: position.subject)
        }
        let result: SearchResult
        do {
            result = try await store.search(parameters.query, in: projection)
        } catch let error as StoreError {
            throw APIError.unavailable("\(error)")
        }

        var body: [String: JSONValue] = [
            "collection": .string(name),
            "total": .int(Int64(result.total)),
            "limit": .int(Int64(parameters.query.limit)),
            "hits": SearchResultView.hits(result, fields: collection.fields),
            "facets": SearchResultView.facets(result),
        ]
        switch paging {
        case .pages:
            body["page"] = .int(Int64(parameters.page))
        case .cursor:
            let next = result.hasMore ? result.hits.last.map {
                SearchCursor(key: $0.sortKey, subject: $0.subject).encoded(for: parameters.query, in: name)
            } : nil
            body["next_cursor"] = next.map(JSONValue.string) ?? .null
        }
        return try JSONBody.response(status: .ok, JSONValue.object(body))
    }

    /// `Authorization: Bearer <token>` against the collection's token, compared as digests in constant time.
    private static func authorize(_ request: Request, digest: SHA256Digest) throws {
        let prefix = "bearer "
        guard let header = request.headers[.authorization], header.count > prefix.count,
            header.lowercased().hasPrefix(prefix)
        else { throw APIError.unauthorized("this collection needs Authorization: Bearer <token>") }
        guard SHA256.hash(data: Data(header.dropFirst(prefix.count).utf8)) == digest else {
            throw APIError.unauthorized("unknown token")
        }
    }
}
