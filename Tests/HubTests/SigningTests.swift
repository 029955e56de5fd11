import Connectors
import Foundation
import Testing

@Suite struct SigningTests {
    /// The example from the Standard Webhooks specification.
    @Test func matchesTheStandardWebhooksSpecVector() {
        let signer = StandardWebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = signer.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8)
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aTamperedBodyChangesTheSignature() {
        let signer = StandardWebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let good = signer.signature(id: "m", timestamp: 1, body: Data("{}".utf8))
        #expect(good != signer.signature(id: "m", timestamp: 1, body: Data("{ }".utf8)))
        #expect(good != signer.signature(id: "m", timestamp: 2, body: Data("{}".utf8)))
    }

    @Test func retryAfterReadsSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .seconds(0))
        let date = "Fri, 15 Jan 2027 08:00:30 GMT"  // 1_800_000_030
        #expect(RetryAfter.parse(date, now: now) == .seconds(30))
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse("-5", now: now) == nil)
    }
}
