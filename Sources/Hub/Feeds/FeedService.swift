import Foundation
import Logging
import Outbox
import ServiceLifecycle

/// Runs feeds by themselves: each tick, a feed whose schedule came due, or whose collection
/// changed and then stayed quiet for its debounce, runs once. Runs where the relay runs; with
/// several hubs, the feed's advisory lock and the history it reads under that lock make one
/// of them run it and the others skip.
struct FeedService: Service {
    let feeds: [FeedConfig]
    let runner: FeedRunner
    var tick: Duration = .seconds(1)

    func run() async throws {
        let start = Date()
        var debounces: [String: ChangeDebounce] = [:]
        for feed in feeds {
            if let quiet = feed.onChangeDebounce { debounces[feed.name] = ChangeDebounce(quiet: quiet) }
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            for feed in feeds {
                guard !Task.isShuttingDownGracefully else { break }
                do {
                    try await check(feed, start: start, debounce: &debounces[feed.name])
                } catch {
                    runner.logger.warning(
                        "feed check failed; trying again next tick", metadata: ["hub.feed": "\(feed.name)", "hub.error": "\(error)"])
                }
            }
            try? await Task.sleep(for: tick)
        }
    }

    private func check(_ feed: FeedConfig, start: Date, debounce: inout ChangeDebounce?) async throws {
        guard feed.schedule != nil || debounce != nil else { return }
        let history = try await runner.store.feedHistory(feed.name, limit: 1)
        let now = Date()
        if let schedule = feed.schedule, let due = schedule.next(lastFiredAt: history.lastScheduledAt, start: start), due <= now {
            _ = try await runner.run(feed, trigger: .schedule, scheduledFor: due)
            debounce?.ran()
            return
        }
        guard debounce != nil else { return }
        let mark = try await runner.projection.changeMark(collection: feed.collection)
        if debounce?.observe(mark: mark, lastRunMark: history.lastChangeMark, now: now) == true {
            _ = try await runner.run(feed, trigger: .change)
            debounce?.ran()
        }
    }
}
