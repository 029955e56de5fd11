import Outbox

/// A webhook source: `POST /v1/webhooks/{name}`.
struct SourceConfig: Sendable {
    var name: String
    var verifier: any WebhookVerifier
    var dedup: DedupRule?
    var mapping: WebhookMapping
}

/// Where a source's events carry the id that makes a vendor's retry recognisable.
enum DedupRule: Sendable, Equatable {
    case header(String)
    case pointer(JSONPointer)
}

/// How an async vendor calls back: `POST /v1/vendor-webhook/{destination}`.
struct CallbackConfig: Sendable {
    var verifier: any WebhookVerifier
    var jobId = JSONPointer("/job_id")!
    var result = JSONPointer("/data")!
    /// When set and holding a value, the vendor reports failure and this is the error.
    var error: JSONPointer?
    var cleaner = PayloadCleaner()
}
