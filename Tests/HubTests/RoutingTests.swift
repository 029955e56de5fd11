import Foundation
import Outbox
import Testing

@testable import Hub

@Suite struct RoutingTests {
    @Test func globsMatchWholeStringsWithStarsAnywhere() {
        #expect(GlobPattern("order.*").matches("order.created"))
        #expect(GlobPattern("order.*").matches("order.line.added"))
        #expect(!GlobPattern("order.*").matches("orders.created"))
        #expect(!GlobPattern("order.*").matches("xorder.created"))
        #expect(GlobPattern("*.created").matches("vehicle.created"))
        #expect(GlobPattern("a*b*c").matches("a-b-c"))
        #expect(!GlobPattern("a*b*c").matches("a-c-b"))
        #expect(GlobPattern("exact").matches("exact") && !GlobPattern("exact").matches("exactly"))
        #expect(GlobPattern("*").matches(""))
    }

    @Test func everyMatchingRouteContributesEachDestinationOnce() {
        let router = MessageRouter(routes: [
            RouteConfig(type: GlobPattern("order.*"), to: ["crm", "erp"]),
            RouteConfig(type: GlobPattern("*.created"), source: GlobPattern("shop"), to: ["erp", "search"]),
            RouteConfig(subject: GlobPattern("VIN*"), to: ["feeds"]),
        ])
        func route(_ type: String, source: String = "shop", subject: String? = nil) -> [String] {
            router.destinations(for: CanonicalMessage(source: source, type: type, subject: subject, data: .null))
        }
        #expect(route("order.created") == ["crm", "erp", "search"])
        #expect(route("order.created", source: "pos") == ["crm", "erp"])
        #expect(route("vehicle.updated", subject: "VIN123") == ["feeds"])
        #expect(route("vehicle.updated").isEmpty)
    }
}
