import Foundation
import Outbox

/// A delivery in an ops listing: the delivery with its attempts, and what its message is about.
struct OpsDeliveryView: Encodable {
    var id: String
    var message_id: String
    var destination: String
    var status: String
    var attempts: Int
    var next_attempt_at: String?
    var last_error: String?
    var created_at: String
    var delivered_at: String?
    var resent_from: String?
    var type: String
    var source: String
    var subject: String?
    var attempt_log: [MessageView.Attempt]

    init(_ listed: ListedDelivery) {
        let delivery = MessageView.Delivery(listed.delivery)
        id = delivery.id
        message_id = listed.delivery.messageId.lowercasedString
        destination = delivery.destination
        status = delivery.status
        attempts = delivery.attempts
        next_attempt_at = delivery.next_attempt_at
        last_error = delivery.last_error
        created_at = delivery.created_at
        delivered_at = delivery.delivered_at
        resent_from = listed.delivery.resentFrom?.lowercasedString
        type = listed.type
        source = listed.source
        subject = listed.subject
        attempt_log = delivery.attempt_log
    }
}

/// An audited ops action; for a bulk one, its progress.
struct OpsActionView: Encodable {
    var id: String
    var at: String
    var actor: String
    var action: String
    var filter: JSONValue
    var dry_run: Bool
    /// running, done, failed or interrupted.
    var status: String
    var total: Int
    var processed: Int
    var error: String?
    var finished_at: String?

    init(_ action: OpsAction) {
        id = action.id.lowercasedString
        at = Timestamp.format(action.at)
        actor = action.actor
        self.action = action.action
        filter = action.filter
        dry_run = action.dryRun
        status = action.status.rawValue
        total = action.total
        processed = action.processed
        error = action.error
        finished_at = action.finishedAt.map(Timestamp.format)
    }
}
