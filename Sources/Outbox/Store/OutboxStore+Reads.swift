import Foundation
import PostgresNIO

extension OutboxStore {
    /// A message with its deliveries and their attempt logs, or nil if no such id.
    public func message(id: UUID) async throws -> MessageRecord? {
        try await run {
            let messageRows = try await client.query(
                "SELECT \(unescaped: CanonicalMessage.columns) FROM messages m WHERE m.id = \(id)", logger: logger
            )
            var found: CanonicalMessage?
            for try await row in messageRows {
                found = try CanonicalMessage(row: row.makeRandomAccess(), startingAt: 0)
            }
            guard let message = found else { return nil }
            return MessageRecord(
                message: message, deliveries: try await deliveries(ofMessage: id), inbound: try await inbound(ofMessage: id)
            )
        }
    }

    private func inbound(ofMessage id: UUID) async throws -> InboundRecord? {
        let rows = try await client.query(
            "SELECT headers::text, body, redacted FROM inbound_requests WHERE message_id = \(id)", logger: logger
        )
        for try await (headers, body, redacted) in rows.decode((String, String, Bool).self) {
            var fields: [String: String] = [:]
            if case .object(let members) = JSONValue(parsing: Data(headers.utf8)) {
                for case (let name, .string(let value)) in members { fields[name] = value }
            }
            return InboundRecord(headers: fields, body: body, redacted: redacted)
        }
        return nil
    }

    /// The deliveries of one message, each with its attempts in order.
    public func deliveries(ofMessage id: UUID) async throws -> [DeliveryRecord] {
        try await deliveries(ofMessages: [id])[id] ?? []
    }

    /// The deliveries of several messages (two queries however many), each with its attempts in order.
    public func deliveries(ofMessages ids: [UUID]) async throws -> [UUID: [DeliveryRecord]] {
        guard !ids.isEmpty else { return [:] }
        return try await run {
            var deliveries: [DeliveryRecord] = []
            let rows = try await client.query(
                """
                SELECT id, message_id, destination, status, attempts, next_attempt_at, last_error, created_at, delivered_at
                FROM deliveries WHERE message_id = ANY(\(ids)::uuid[]) ORDER BY message_id, destination
                """,
                logger: logger
            )
            for try await row in rows {
                let c = row.makeRandomAccess()
                let status = DeliveryStatus(rawValue: try c[3].decode(String.self)) ?? .pending
                deliveries.append(DeliveryRecord(
                    id: try c[0].decode(UUID.self), messageId: try c[1].decode(UUID.self),
                    destination: try c[2].decode(String.self), status: status, attempts: try c[4].decode(Int.self),
                    nextAttemptAt: status == .pending ? try c[5].decode(Date.self) : nil,
                    lastError: try c[6].decode(String?.self), createdAt: try c[7].decode(Date.self),
                    deliveredAt: try c[8].decode(Date?.self), attemptLog: []
                ))
            }
            var byMessage: [UUID: [DeliveryRecord]] = [:]
            for delivery in try await withAttempts(deliveries) {
                byMessage[delivery.messageId, default: []].append(delivery)
            }
            return byMessage
        }
    }

    /// `deliveries` with each one's attempt log filled in, in order.
    func withAttempts(_ deliveries: [DeliveryRecord]) async throws -> [DeliveryRecord] {
        var deliveries = deliveries
        guard !deliveries.isEmpty else { return [] }
        let attemptRows = try await client.query(
            """
            SELECT delivery_id, attempt, started_at, duration_ms, outcome, http_status, error, response_excerpt
            FROM delivery_attempts WHERE delivery_id = ANY(\(deliveries.map(\.id))::uuid[])
            ORDER BY delivery_id, attempt
            """,
            logger: logger
        )
        var attempts: [UUID: [DeliveryAttempt]] = [:]
        for try await row in attemptRows {
            let c = row.makeRandomAccess()
            attempts[try c[0].decode(UUID.self), default: []].append(DeliveryAttempt(
                attempt: try c[1].decode(Int.self), startedAt: try c[2].decode(Date.self),
                durationMilliseconds: try c[3].decode(Int.self), outcome: try c[4].decode(String.self),
                httpStatus: try c[5].decode(Int?.self), error: try c[6].decode(String?.self),
                responseExcerpt: try c[7].decode(String?.self)
            ))
        }
        for index in deliveries.indices {
            deliveries[index].attemptLog = attempts[deliveries[index].id] ?? []
        }
        return deliveries
    }

    /// Rows not yet final, per destination, and how long the oldest has waited.
    public func backlog() async throws -> [DestinationBacklog] {
        try await run {
            let rows = try await client.query(
                """
                SELECT destination,
                       count(*) FILTER (WHERE status = 'pending'),
                       count(*) FILTER (WHERE status = 'delivering'),
                       min(created_at)
                FROM deliveries WHERE status IN ('pending', 'delivering')
                GROUP BY destination ORDER BY destination
                """,
                logger: logger
            )
            var result: [DestinationBacklog] = []
            for try await (destination, pending, delivering, oldest) in rows.decode((String, Int, Int, Date?).self) {
                result.append(DestinationBacklog(
                    destination: destination, pending: pending, delivering: delivering, oldestPendingSince: oldest
                ))
            }
            return result
        }
    }

    /// Subjects of an ordered destination held up by a dead delivery at their head, oldest first.
    public func blockedSubjects(destination: String, limit: Int = 100) async throws -> [String] {
        try await run {
            let rows = try await client.query(
                """
                SELECT d.ordering_key FROM deliveries d
                WHERE d.destination = \(destination) AND d.ordering_key IS NOT NULL AND d.status = 'dead'
                  AND NOT EXISTS (
                      SELECT 1 FROM deliveries earlier
                      WHERE earlier.destination = d.destination AND earlier.ordering_key = d.ordering_key
                        AND earlier.status <> 'delivered' AND earlier.message_id < d.message_id
                  )
                ORDER BY d.message_id LIMIT \(limit)
                """,
                logger: logger
            )
            var subjects: [String] = []
            for try await subject in rows.decode(String.self) { subjects.append(subject) }
            return subjects
        }
    }
}
