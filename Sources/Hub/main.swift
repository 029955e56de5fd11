import Foundation
import NIOCore
import NIOPosix

// Swift concurrency runs on NIO's event loops, so a task that a socket resumes (a Postgres
// answer, an HTTP response, a request on the edge) continues on the thread that read it
// instead of hopping to the cooperative pool and back: at light load those hops were most of
// a POST's latency. The hook must be in place before any task starts, hence a plain
// main.swift rather than `@main`. HUB_EXECUTOR=swift keeps Swift's own pool (a way out if
// some code blocks a thread, which here would stall network I/O too).
if ProcessInfo.processInfo.environment["HUB_EXECUTOR"] != "swift" {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
}
await HubCommand.runAsRoot()
