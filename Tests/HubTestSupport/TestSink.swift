import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A stand-in for a vendor's HTTP API: a real HTTP server on a loopback port that records
/// every request and answers as the test scripts it.
public final class TestSink: Sendable {
    public struct Received: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: String
        public var at: Date
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var delay: Duration
        /// The answer's body; by default "sink says <status>".
        public var body: String?
        /// Runs after the answer has gone out, as a vendor that calls back later would.
        public var followUp: (@Sendable () async -> Void)?

        public init(
            status: Int = 200, headers: [String: String] = [:], delay: Duration = .zero, body: String? = nil,
            followUp: (@Sendable () async -> Void)? = nil
        ) {
            self.status = status
            self.headers = headers
            self.delay = delay
            self.body = body
            self.followUp = followUp
        }
    }

    /// Decides the answer to request number `index` (0-based, in arrival order).
    public typealias Script = @Sendable (_ request: Received, _ index: Int) -> Reply

    private let script: Script
    private let log = Mutex<[Received]>([])
    private let followUps: AsyncStream<@Sendable () async -> Void>
    private let followUpQueue: AsyncStream<@Sendable () async -> Void>.Continuation

    public init(script: @escaping Script = { _, _ in Reply() }) {
        self.script = script
        (followUps, followUpQueue) = AsyncStream.makeStream()
    }

    public var received: [Received] { log.withLock { $0 } }

    /// Serves on 127.0.0.1 (a free port) while `body` runs; `body` gets the base URL.
    public func serve<Result: Sendable>(_ body: @Sendable (_ baseURL: String) async throws -> Result) async throws -> Result {
        let router = Router()
        router.on("**", method: .post) { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 64 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let received = Received(path: request.uri.path, headers: headers, body: String(buffer: buffer), at: Date())
            let index = self.log.withLock { log in
                log.append(received)
                return log.count - 1
            }
            let reply = self.script(received, index)
            if reply.delay > .zero { try await Task.sleep(for: reply.delay) }
            var fields = HTTPFields()
            for (name, value) in reply.headers { fields[HTTPField.Name(name)!] = value }
            if let followUp = reply.followUp { self.followUpQueue.yield(followUp) }
            let answer = reply.body ?? "sink says \(reply.status)"
            return Response(status: .init(code: reply.status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: answer)))
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: testLogger("test-sink")
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: testLogger("test-sink")))
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                // Follow-ups start a moment after their answer so the caller has it first.
                await withDiscardingTaskGroup { running in
                    for await followUp in self.followUps {
                        running.addTask {
                            try? await Task.sleep(for: .milliseconds(20))
                            await followUp()
                        }
                    }
                }
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestEnvironmentError(description: "sink did not start") }
            do {
                let result = try await body("http://127.0.0.1:\(port)")
                followUpQueue.finish()
                await group.triggerGracefulShutdown()
                return result
            } catch {
                followUpQueue.finish()
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }
}
