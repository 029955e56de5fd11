import Foundation
import PostgresNIO

/// The ingest batch as a prepared statement: Postgres parses and plans it once per connection
/// instead of once per batch (about 0.6 ms each time, measured). See ``OutboxStore/accept(_:)``.
struct AcceptStatement: PostgresPreparedStatement {
    typealias Row = UUID?

    static let sql = """
        WITH keys AS (
            INSERT INTO inbound_keys (scope, key, message_id)
            SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])
            ON CONFLICT DO NOTHING
            RETURNING message_id
        ), fresh AS (
            SELECT * FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::text[],
                                 $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::text[], $15::boolean[],
                                 $29::text[])
                AS m(id, source, type, subject, time, datacontenttype, data, idempotency_key, content_hash,
                     received_at, correlation_id, keyed, extensions)
            WHERE NOT m.keyed OR m.id IN (SELECT message_id FROM keys)
        ), inserted AS (
            -- Arrays cannot carry NULL elements through this driver: empty strings stand for NULL.
            INSERT INTO messages (id, source, type, subject, time, datacontenttype, data, idempotency_key,
                                  content_hash, received_at, correlation_id, extensions)
            SELECT id, source, type, nullif(subject, ''), time, datacontenttype, data::json,
                   nullif(idempotency_key, ''), content_hash, received_at, nullif(correlation_id, ''),
                   nullif(extensions, '')::json
            FROM fresh
            RETURNING id
        ), queued AS (
            -- A leased delivery goes straight to this process's relay (DirectDispatch): written as
            -- a claim would leave it, its first try under way.
            INSERT INTO deliveries (id, message_id, destination, status, ordering_key, attempts, lease_owner,
                                    lease_expires_at)
            SELECT d.id, d.message_id, d.destination, CASE WHEN d.leased THEN 'delivering' ELSE 'pending' END,
                   nullif(d.ordering_key, ''), CASE WHEN d.leased THEN 1 ELSE 0 END,
                   CASE WHEN d.leased THEN $31 END,
                   CASE WHEN d.leased THEN now() + make_interval(secs => $19::bigint / 1000.0) END
            FROM unnest($16::uuid[], $17::uuid[], $18::text[], $28::text[], $30::boolean[])
                AS d(id, message_id, destination, ordering_key, leased)
            WHERE d.message_id IN (SELECT id FROM inserted)
            RETURNING status
        ), steps AS (
            INSERT INTO job_steps (delivery_id, message_id, vendor, mode, status)
            SELECT s.delivery_id, s.message_id, s.vendor, s.mode, 'pending'
            FROM unnest($20::uuid[], $21::uuid[], $22::text[], $23::text[]) AS s(delivery_id, message_id, vendor, mode)
            WHERE s.message_id IN (SELECT id FROM inserted)
        ), raw AS (
            INSERT INTO inbound_requests (message_id, headers, body, redacted)
            SELECT r.message_id, r.headers::json, r.body, r.redacted
            FROM unnest($24::uuid[], $25::text[], $26::text[], $27::boolean[]) AS r(message_id, headers, body, redacted)
            WHERE r.message_id IN (SELECT id FROM inserted)
        )
        SELECT id FROM inserted
        UNION ALL
        -- A NULL row: deliveries were left pending, and relays need waking once this commits
        -- (RelayWakeup says why not here).
        SELECT NULL FROM (SELECT 1 FROM queued WHERE status = 'pending' LIMIT 1) q
        """

    var batch: [Submission]
    var deliveryIds: [UUID]
    var deliveryMessages: [UUID]
    var deliveryDestinations: [String]
    var steps: [(deliveryId: UUID, messageId: UUID, vendor: String, mode: String)]
    /// Per delivery: the subject when its destination keeps per-subject order, else "".
    var orderingKeys: [String]
    /// Per delivery: written leased to `leaseOwner` for `leaseMilliseconds` instead of pending.
    var leased: [Bool]
    var leaseOwner: String
    var leaseMilliseconds: Int

    func makeBindings() throws -> PostgresBindings {
        let keyed = batch.filter { $0.dedup != nil }
        let messages = batch.map(\.message)
        let inbound = batch.compactMap { submission in submission.inbound.map { (submission.message.id, $0) } }
        var bindings = PostgresBindings(capacity: 31)
        bindings.append(keyed.map { $0.dedup!.scope })
        bindings.append(keyed.map { $0.dedup!.key })
        bindings.append(keyed.map(\.message.id))
        bindings.append(messages.map(\.id))
        bindings.append(messages.map(\.source))
        bindings.append(messages.map(\.type))
        bindings.append(messages.map { $0.subject ?? "" })
        bindings.append(messages.map(\.time))
        bindings.append(messages.map(\.dataContentType))
        bindings.append(messages.map(\.data))
        bindings.append(messages.map { $0.idempotencyKey ?? "" })
        bindings.append(messages.map(\.contentHash))
        bindings.append(messages.map(\.receivedAt))
        bindings.append(messages.map { $0.correlationId ?? "" })
        bindings.append(batch.map { $0.dedup != nil })
        bindings.append(deliveryIds)
        bindings.append(deliveryMessages)
        bindings.append(deliveryDestinations)
        bindings.append(leaseMilliseconds)
        bindings.append(steps.map(\.deliveryId))
        bindings.append(steps.map(\.messageId))
        bindings.append(steps.map(\.vendor))
        bindings.append(steps.map(\.mode))
        bindings.append(inbound.map(\.0))
        bindings.append(inbound.map(\.1.headersJSON))
        bindings.append(inbound.map(\.1.body))
        bindings.append(inbound.map(\.1.redacted))
        bindings.append(orderingKeys)
        bindings.append(messages.map { $0.extensions ?? "" })
        bindings.append(leased)
        bindings.append(leaseOwner)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(UUID?.self)
    }
}
