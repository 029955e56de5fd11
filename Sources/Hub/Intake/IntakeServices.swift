import Foundation
import Connectors
import Logging
import Outbox
import ServiceLifecycle

/// Builds the services of the sources Hub pulls from, and the board they report to.
enum IntakeServices {
    /// Every pulled source, as `starting`, before any has run.
    static func board(for config: HubConfig) -> SourceStatusBoard {
        SourceStatusBoard(config.intakeSources.map { source in
            SourceStatus(name: source.name, kind: source.kind, from: origin(of: source))
        })
    }

    static func services(
        config: HubConfig, writer: OutboxWriter, store: OutboxStore, board: SourceStatusBoard, spool: URL, logger: Logger
    ) -> [any Service] {
        let router = MessageRouter(routes: config.routes)
        return config.intakeSources.map { source -> any Service in
            var sourceLogger = logger
            sourceLogger[metadataKey: "hub.source"] = "\(source.name)"
            switch source {
            case .redisStream(let stream):
                return RedisStreamSource(
                    config: stream,
                    pipeline: IntakePipeline(source: stream.name, mapping: stream.mapping, router: router, writer: writer),
                    status: board.reporter(for: stream.name), logger: sourceLogger
                )
            case .redisPubSub(let pubSub):
                return RedisPubSubSource(
                    config: pubSub,
                    pipeline: IntakePipeline(source: pubSub.name, mapping: pubSub.mapping, router: router, writer: writer),
                    status: board.reporter(for: pubSub.name), logger: sourceLogger
                )
            case .fileDrop(let drop):
                let pipeline = IntakePipeline(source: drop.drop.name, mapping: drop.drop.mapping, router: router, writer: writer)
                return FileDropSource(
                    folder: SFTPDropFolder(client: SFTPClient(configuration: drop.client), inbox: drop.inbox),
                    intake: FileDropIntake(
                        config: drop.drop, store: store, pipeline: pipeline, spool: spool, logger: sourceLogger),
                    status: board.reporter(for: drop.drop.name), logger: sourceLogger
                )
            }
        }
    }

    /// Where a source reads from, without credentials.
    private static func origin(of source: IntakeSourceConfig) -> String {
        switch source {
        case .redisStream(let stream):
            "redis://\(stream.endpoint) stream \(stream.stream) group \(stream.group) consumer \(stream.consumer)"
        case .redisPubSub(let pubSub):
            "redis://\(pubSub.endpoint) "
                + (pubSub.channels.map { "channel \($0)" } + pubSub.patterns.map { "pattern \($0)" }).joined(separator: " ")
        case .fileDrop(let drop):
            "sftp://\(drop.client.user)@\(drop.client.host):\(drop.client.port)/\(drop.inbox) \(drop.drop.glob)"
        }
    }
}
