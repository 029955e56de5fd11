import NIOCore
import NIOPosix

// Swift concurrency on NIO's event loops, as in `hub`: each request then continues on the
// thread that read it, which keeps the sink cheap next to the hub it measures. A plain
// main.swift, because the hook must be in place before any task starts.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await HubSink.runAsRoot()
