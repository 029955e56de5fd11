import Foundation
import HTTPTypes

/// A webhook exactly as it arrived: verification works on these bytes, before anything parses them.
struct InboundRequest: Sendable {
    var headers: HTTPFields
    var body: [UInt8]
}

/// Proves a webhook came from its vendor. One implementation per scheme (Standard Webhooks,
/// GitHub, Stripe, generic HMAC, basic, api-key, none); each holds every live secret of its
/// source so a rotation needs no downtime.
protocol WebhookVerifier: Sendable {
    /// Passes silently or throws the check that failed. Never reveals the expected signature.
    func verify(_ request: InboundRequest, now: Date) throws(VerificationFailure)

    /// Headers that carry credentials; they are dropped before the raw request is stored.
    var secretHeaders: [HTTPField.Name] { get }
}

/// Why a webhook was refused, as the vendor is told (401) and ops see in the log.
struct VerificationFailure: Error, Equatable, Sendable {
    enum Check: String, Sendable {
        /// A header the scheme needs is absent.
        case missingHeader = "missing_header"
        /// A header is present but not in the scheme's format.
        case malformedHeader = "malformed_header"
        /// The timestamp is older than the tolerance allows (a replay).
        case staleTimestamp = "stale_timestamp"
        /// The timestamp is further ahead than the tolerance allows.
        case futureTimestamp = "future_timestamp"
        /// No presented signature (or credential) matches any live secret.
        case invalidSignature = "invalid_signature"
    }

    var check: Check
    /// Says which header and what was wrong with it, e.g. "webhook-signature has no v1 signature".
    var message: String
}
