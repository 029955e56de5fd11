import Foundation
import NIOCore
import NIOPosix

// HUB_EXECUTOR=nio runs Swift concurrency on NIO's event loops, so a task a socket resumes
// continues on the thread that read it instead of hopping to the cooperative pool. Measured
// A/B on the same binary (docs/benchmarks.md) it gained nothing here, and CPU-heavy work (facet
// counts, feed rendering, JSON parsing) would then hold up the network I/O of its loop, so
// Swift's own pool stays the default. The hook must be in place before any task starts, hence
// a plain main.swift rather than `@main`.
if ProcessInfo.processInfo.environment["HUB_EXECUTOR"] == "nio" {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
await HubCommand.runAsRoot()
