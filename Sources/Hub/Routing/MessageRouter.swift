import Outbox

/// Decides which destinations a message goes to: every route whose patterns all match
/// contributes its destinations, each destination once, in config order.
struct MessageRouter: Sendable {
    let routes: [RouteConfig]

    func destinations(for message: CanonicalMessage) -> [String] {
        var chosen: [String] = []
        for route in routes where Self.matches(route, message) {
            for name in route.to where !chosen.contains(name) { chosen.append(name) }
        }
        return chosen
    }

    private static func matches(_ route: RouteConfig, _ message: CanonicalMessage) -> Bool {
        if let type = route.type, !type.matches(message.type) { return false }
        if let source = route.source, !source.matches(message.source) { return false }
        if let subject = route.subject, !subject.matches(message.subject ?? "") { return false }
        return true
    }
}
