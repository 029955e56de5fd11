import Foundation
import Metrics
import Outbox
import Prometheus
import Synchronization

/// The process's Prometheus registry, bootstrapped into swift-metrics once, plus the gauges
/// that come from the database rather than from events.
final class HubMetrics: Sendable {
    static let shared = HubMetrics()

    let registry = PrometheusCollectorRegistry()
    /// Destinations seen in earlier scrapes: a drained destination must read 0, not vanish.
    private let known = Mutex(Set<String>())

    private init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
    }

    func update(backlog: [DestinationBacklog], configured: [String] = [], now: Date = Date()) {
        let names = known.withLock { names in
            names.formUnion(backlog.map(\.destination))
            names.formUnion(configured)
            return names
        }
        for name in names {
            let entry = backlog.first { $0.destination == name }
            Gauge(label: "hub_backlog", dimensions: [("destination", name)])
                .record((entry?.pending ?? 0) + (entry?.delivering ?? 0))
            let age = entry?.oldestPendingSince.map { now.timeIntervalSince($0) } ?? 0
            Gauge(label: "hub_oldest_pending_seconds", dimensions: [("destination", name)]).record(max(0, age))
        }
    }

    /// `hub_destination_paused{destination}`: 1 while ops have it paused.
    func update(paused: Set<String>, configured: [String]) {
        for name in configured {
            Gauge(label: "hub_destination_paused", dimensions: [("destination", name)]).record(paused.contains(name) ? 1 : 0)
        }
    }

    /// From the feed's latest runs, whichever hub ran them: `hub_feed_refused{feed}` is 1 while
    /// the shrink guard holds the feed back (alert on it: an operator must look, then force or
    /// fix upstream); `hub_feed_items` and `hub_feed_last_published_timestamp_seconds` describe
    /// its last published file.
    func update(feed: String, history: FeedHistory) {
        let refused = history.recent.first?.status == .refused
        Gauge(label: "hub_feed_refused", dimensions: [("feed", feed)]).record(refused ? 1 : 0)
        Gauge(label: "hub_feed_items", dimensions: [("feed", feed)]).record(history.lastPublished?.items ?? 0)
        Gauge(label: "hub_feed_last_published_timestamp_seconds", dimensions: [("feed", feed)])
            .record(history.lastPublished?.startedAt.timeIntervalSince1970 ?? 0)
    }

    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
