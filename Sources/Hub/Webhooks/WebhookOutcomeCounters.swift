import Metrics

/// `hub_webhooks_total{source, outcome}`, with the handles made once per source: creating a
/// metric per request costs more than the rest of the bookkeeping.
struct WebhookOutcomeCounters: Sendable {
    let accepted: Counter
    let duplicate: Counter
    let refused: Counter
    let invalid: Counter
    /// The database could not take it (503): the vendor must retry.
    let unavailable: Counter

    init(label: String = "hub_webhooks_total", source: String) {
        func counter(_ outcome: String) -> Counter {
            Counter(label: label, dimensions: [("source", source), ("outcome", outcome)])
        }
        accepted = counter("accepted")
        duplicate = counter("duplicate")
        refused = counter("refused")
        invalid = counter("invalid")
        unavailable = counter("unavailable")
    }
}
