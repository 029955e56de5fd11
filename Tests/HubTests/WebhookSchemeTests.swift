import Crypto
import Foundation
import HubTestSupport
import Testing

@testable import Hub

/// Every verification scheme through the real edge and Postgres, with each vendor's fixture:
/// what a vendor sees for a good, rotated, forged, tampered, unsigned, stale or early webhook,
/// and that only the good ones are stored.
@Suite struct WebhookSchemeTests {
    /// Which secret a request is signed with.
    enum Key: Sendable { case current, previous, wrong }

    struct Vendor: Sendable, CustomTestStringConvertible {
        var name: String
        var verify: @Sendable (WebhookSigning.Fixture) -> String
        var sign: @Sendable (WebhookSigning.Fixture, Key, _ timestamp: Int, _ body: String) -> [(String, String)]
        /// The header that carries the proof; dropping it must fail as missing_header.
        var proofHeader: String
        var timestamped = false
        /// Basic and api-key prove the sender, not the body.
        var coversBody = true
        var testDescription: String { name }
    }

    static let marketcheckPrevious = Curve25519.Signing.PrivateKey()

    static func secret(_ fixture: WebhookSigning.Fixture, _ key: Key, current: String, previous: String) -> String {
        switch key {
        case .current: fixture.secrets[current]!
        case .previous: fixture.secrets[previous]!
        case .wrong: fixture.secrets[current]!.replacingOccurrences(of: "test", with: "tset")
        }
    }

    static let vendors: [Vendor] = [
        Vendor(
            name: "carfax",
            verify: { #"{ scheme: standard-webhooks, secrets: ["\#($0.secrets["secret"]!)", "\#($0.secrets["previous_secret"]!)"] }"# },
            sign: { fixture, key, timestamp, body in
                let secret = key == .wrong
                    ? "whsec_" + Data("not-the-carfax-secret-at-all".utf8).base64EncodedString()
                    : secret(fixture, key, current: "secret", previous: "previous_secret")
                return WebhookSigning.standardWebhooks(secret: secret, id: "msg_\(UUID())", timestamp: timestamp, body: body)
            },
            proofHeader: "webhook-signature", timestamped: true
        ),
        Vendor(
            name: "marketcheck",
            verify: { #"{ scheme: standard-webhooks, public_keys: ["\#($0.secrets["public_key"]!)", "\#(WebhookSigning.whpk(marketcheckPrevious))"] }"# },
            sign: { fixture, key, timestamp, body in
                let signer = switch key {
                case .current: WebhookSigning.ed25519PrivateKey(seed: fixture.secrets["private_key_seed"]!)
                case .previous: marketcheckPrevious
                case .wrong: Curve25519.Signing.PrivateKey()
                }
                return WebhookSigning.standardWebhooksEd25519(privateKey: signer, id: "msg_\(UUID())", timestamp: timestamp, body: body)
            },
            proofHeader: "webhook-signature", timestamped: true
        ),
        Vendor(
            name: "github",
            verify: { #"{ scheme: github, secrets: ["\#($0.secrets["secret"]!)", "\#($0.secrets["previous_secret"]!)"] }"# },
            sign: { fixture, key, _, body in
                WebhookSigning.github(secret: secret(fixture, key, current: "secret", previous: "previous_secret"), body: body)
            },
            proofHeader: "X-Hub-Signature-256"
        ),
        Vendor(
            name: "stripe",
            verify: { #"{ scheme: stripe, secrets: ["\#($0.secrets["secret"]!)", "\#($0.secrets["previous_secret"]!)"] }"# },
            sign: { fixture, key, timestamp, body in
                WebhookSigning.stripe(
                    secret: secret(fixture, key, current: "secret", previous: "previous_secret"), timestamp: timestamp, body: body
                )
            },
            proofHeader: "Stripe-Signature", timestamped: true
        ),
        Vendor(
            name: "autocheck",
            verify: {
                """
                { scheme: hmac, header: X-AutoCheck-Signature, encoding: base64, prefix: "sha256=", signed: timestamp.body,
                  timestamp_header: X-AutoCheck-Timestamp, secrets: ["\($0.secrets["secret"]!)", "\($0.secrets["previous_secret"]!)"] }
                """
            },
            sign: { fixture, key, timestamp, body in
                WebhookSigning.hmac(
                    secret: secret(fixture, key, current: "secret", previous: "previous_secret"), body: body,
                    header: "X-AutoCheck-Signature", encoding: .base64, prefix: "sha256=", timestamp: timestamp,
                    timestampHeader: "X-AutoCheck-Timestamp"
                )
            },
            proofHeader: "X-AutoCheck-Signature", timestamped: true
        ),
        Vendor(
            name: "dealer-portal",
            verify: { fixture in
                let user = fixture.secrets["user"]!
                return #"{ scheme: basic, secrets: ["\#(user):\#(fixture.secrets["password"]!)", "\#(user):\#(fixture.secrets["previous_password"]!)"] }"#
            },
            sign: { fixture, key, _, _ in
                WebhookSigning.basic(
                    user: fixture.secrets["user"]!, password: secret(fixture, key, current: "password", previous: "previous_password")
                )
            },
            proofHeader: "Authorization", coversBody: false
        ),
        Vendor(
            name: "lotlinx",
            verify: { #"{ scheme: api-key, header: X-LotLinx-Key, secrets: ["\#($0.secrets["key"]!)", "\#($0.secrets["previous_key"]!)"] }"# },
            sign: { fixture, key, _, _ in
                WebhookSigning.apiKey(header: "X-LotLinx-Key", key: secret(fixture, key, current: "key", previous: "previous_key"))
            },
            proofHeader: "X-LotLinx-Key", coversBody: false
        ),
    ]

    @Test(arguments: vendors)
    func onlyGenuineWebhooksAreStored(vendor: Vendor) async throws {
        let fixture = try WebhookSigning.Fixture.load(vendor.name)
        let source = """
              \(vendor.name):
                kind: webhook
                verify: \(vendor.verify(fixture).replacingOccurrences(of: "\n", with: " "))
                dedup: none
                map: { type: "test.\(vendor.name)" }
            """
        try await withHub({ database in testConfig(database: database, sources: source) }) { hub in
            let now = Int(Date().timeIntervalSince1970)
            func post(_ key: Key, at timestamp: Int = now, body: String = fixture.body, dropping: String? = nil) async throws
                -> Answer
            {
                let signed = vendor.sign(fixture, key, timestamp, fixture.body)
                // The signature headers replace the fixture's own (its webhook-id, say).
                let signedNames = Set(signed.map { $0.0.lowercased() })
                let headers = (fixture.headers.filter { !signedNames.contains($0.0.lowercased()) } + signed)
                    .filter { $0.0.lowercased() != dropping?.lowercased() }
                return try await hub.post("/v1/webhooks/\(vendor.name)", body, token: nil, headers: headers)
            }
            func expectRefused(_ answer: Answer, _ check: String, _ what: String) {
                #expect(answer.status == 401, "\(what): \(answer.body)")
                #expect(answer.error["code"] as? String == check, "\(what): \(answer.body)")
            }
            #expect(try await post(.current).status == 202, "signed with the current secret")
            #expect(try await post(.previous).status == 202, "signed with the previous secret, still live while rotating")
            expectRefused(try await post(.wrong), "invalid_signature", "wrong secret")
            expectRefused(try await post(.current, dropping: vendor.proofHeader), "missing_header", "no \(vendor.proofHeader)")
            // One extra byte: still valid JSON, no longer what was signed.
            let tampered = fixture.body + " "
            var stored = 2
            if vendor.coversBody {
                expectRefused(try await post(.current, body: tampered), "invalid_signature", "tampered body")
            } else {
                #expect(try await post(.current, body: tampered).status == 202, "credentials do not cover the body")
                stored += 1
            }
            if vendor.timestamped {
                expectRefused(try await post(.current, at: now - 3600), "stale_timestamp", "an hour old")
                expectRefused(try await post(.current, at: now + 3600), "future_timestamp", "an hour ahead")
            }
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages") == stored)
            #expect(try await hub.database.scalar("SELECT count(*) FROM messages WHERE type <> 'test.\(vendor.name)'") == 0)
        }
    }
}
