import Outbox

/// One entry of a Redis stream. `fields` is nil for an entry that is still pending in a group but
/// was deleted from the stream (XDEL, MAXLEN trimming): there is nothing left to read.
public struct RedisStreamEntry: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    public var id: String
    public var fields: [Field]?

    public init(id: String, fields: [Field]?) {
        self.id = id
        self.fields = fields
    }

    /// `[id, [field, value, ...]]`, or `[id, nil]` for a deleted entry.
    init(_ reply: RedisReply) throws {
        guard let parts = reply.elements, parts.count == 2, let id = parts[0].text else {
            throw RedisError.unexpectedReply("a stream entry is [id, fields]")
        }
        self.id = id
        guard let flat = parts[1].elements else {
            fields = nil
            return
        }
        var fields: [Field] = []
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].text, case .bulk(let value) = flat[index + 1] {
                fields.append(Field(name: name, value: value))
            }
            index += 2
        }
        self.fields = fields
    }
}

/// The stream commands a consumer group member needs.
extension RedisConnection {
    /// Creates `group` on `stream` (and the stream, with MKSTREAM); an existing group is left as it is.
    /// - Parameter startId: where a new group starts reading: `0` for everything already in the stream, `$` for new entries only.
    public func createGroup(stream: String, group: String, startId: String) async throws {
        let reply = try await command(["XGROUP", "CREATE", stream, group, startId, "MKSTREAM"])
        if case .error(let message) = reply, !message.hasPrefix("BUSYGROUP") { throw RedisError.server(message) }
    }

    /// XREADGROUP of one stream. `id` is `>` for entries never delivered to the group, or `0` for this
    /// consumer's own pending entries. Blocks up to `block` when there is nothing new (only with `>`).
    public func readGroup(
        stream: String, group: String, consumer: String, count: Int, block: Duration?, id: String
    ) async throws -> [RedisStreamEntry] {
        var arguments = ["XREADGROUP", "GROUP", group, consumer, "COUNT", "\(count)"]
        if let block { arguments += ["BLOCK", "\(max(1, Int(block.seconds * 1000)))"] }
        arguments += ["STREAMS", stream, id]
        let reply = try await command(arguments).orThrow()
        if reply == .null { return [] }
        guard let streams = reply.elements else { throw RedisError.unexpectedReply("XREADGROUP answers an array") }
        var entries: [RedisStreamEntry] = []
        for item in streams {
            guard let pair = item.elements, pair.count == 2, let list = pair[1].elements else {
                throw RedisError.unexpectedReply("XREADGROUP answers [stream, entries] pairs")
            }
            entries += try list.map(RedisStreamEntry.init)
        }
        return entries
    }

    /// XAUTOCLAIM: takes over up to `count` entries pending longer than `minIdle` with any consumer of
    /// the group, scanning from `cursor`. Returns the cursor for the next call (`0-0` when the scan is
    /// complete), the entries, and the ids of claimed entries that were deleted from the stream.
    public func autoClaim(
        stream: String, group: String, consumer: String, minIdle: Duration, cursor: String, count: Int
    ) async throws -> (cursor: String, entries: [RedisStreamEntry], deleted: [String]) {
        let idle = Int(minIdle.seconds * 1000)
        let reply = try await command([
            "XAUTOCLAIM", stream, group, consumer, "\(idle)", cursor, "COUNT", "\(count)",
        ]).orThrow()
        guard let parts = reply.elements, parts.count >= 2, let next = parts[0].text, let list = parts[1].elements else {
            throw RedisError.unexpectedReply("XAUTOCLAIM answers [cursor, entries, deleted]")
        }
        var entries: [RedisStreamEntry] = []
        var deleted = parts.count > 2 ? (parts[2].elements ?? []).compactMap(\.text) : []
        for item in list {
            // Redis 6.2 reports a deleted entry as nil inside the list instead of in the third element.
            if item == .null { continue }
            let entry = try RedisStreamEntry(item)
            if entry.fields == nil { deleted.append(entry.id) } else { entries.append(entry) }
        }
        return (next, entries, deleted)
    }

    /// XACK: the group forgets these entries. Returns how many were pending.
    @discardableResult
    public func acknowledge(stream: String, group: String, ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let reply = try await command(["XACK", stream, group] + ids).orThrow()
        return Int(reply.integer ?? 0)
    }
}
