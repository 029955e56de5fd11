import Connectors
import Foundation
import Outbox

/// Reads `feeds:`, e.g.
/// ```
/// feeds:
///   d1_inventory:
///     collection: vehicles
///     filter: { dealer: d1 }
///     format: csv                          # csv, json, xml or mustache
///     columns: { vin: /vin, make: /make, price: /price }
///     file: "{feed}-{date}.csv"
///     schedule: 1h                         # or a cron expression: "0 6 * * *" (UTC)
///     on_change: { debounce: 30s }
///     to: d1_sftp                          # an s3, sftp or http destination
///     shrink_guard: 50%                    # or off
/// ```
extension ConfigLoader {
    static func feed(_ name: String, _ node: ConfigNode) throws -> FeedConfig {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw node.error("a feed's name is used in URLs and file names: letters, digits, - and _")
        }
        let allowed: Set<String> = [
            "collection", "filter", "format", "columns", "delimiter", "xml", "template", "header", "footer",
            "content_type", "file", "schedule", "on_change", "to", "shrink_guard",
        ]
        let entries = try node.mapping(allowed: allowed)
        func value(_ key: String) -> ConfigNode? { entries.first { $0.key == key }?.value }
        func required(_ key: String, _ example: String) throws -> ConfigNode {
            guard let found = value(key) else { throw node.error("\(key) is required, e.g. \(key): \(example)") }
            return found
        }
        let formatNode = try required("format", "csv")
        let formatName = try formatNode.string()
        let columns = try value("columns").map(feedColumns) ?? []
        let format: any FeedFormat
        switch formatName {
        case "csv":
            guard !columns.isEmpty else { throw node.error("columns is required for format: csv, e.g. columns: { vin: /vin }") }
            var delimiter: Character = ","
            if let delimiterNode = value("delimiter") {
                let text = try delimiterNode.string()
                guard text.count == 1, let character = text.first, character.isASCII, character != "\"",
                    !character.isNewline
                else { throw delimiterNode.error("expected one ASCII character such as , ; or a tab") }
                delimiter = character
            }
            format = CSVFeedFormat(columns: columns, delimiter: delimiter)
        case "json":
            format = JSONFeedFormat(columns: columns)
        case "xml":
            guard !columns.isEmpty else { throw node.error("columns is required for format: xml, e.g. columns: { vin: /vin }") }
            var xml = XMLFeedFormat(columns: columns)
            if let xmlNode = value("xml") {
                for (key, entry) in try xmlNode.mapping(allowed: ["root", "item"]) {
                    let element = try entry.string()
                    guard XMLFeedFormat.isElementName(element) else { throw entry.error("'\(element)' is not an XML element name") }
                    if key == "root" { xml.root = element } else { xml.item = element }
                }
            }
            if let bad = columns.first(where: { !XMLFeedFormat.isElementName($0.name) }), let columnsNode = value("columns") {
                throw columnsNode.error("column '\(bad.name)' is not an XML element name (letters, digits, -, _ and .)")
            }
            format = xml
        case "mustache":
            let templateNode = try required("template", "\"{{vin}},{{make}}\\n\"")
            let text = try templateNode.string()
            var mustache: MustacheFeedFormat
            do { mustache = try MustacheFeedFormat(template: text) } catch {
                throw templateNode.error("not a valid Mustache template: \(error)")
            }
            if let header = value("header") { mustache.header = try header.string() }
            if let footer = value("footer") { mustache.footer = try footer.string() }
            if let type = value("content_type") { mustache.contentType = try type.string() }
            format = mustache
        default:
            throw formatNode.error("expected csv, json, xml or mustache")
        }
        for key in ["delimiter"] where formatName != "csv" && value(key) != nil {
            throw value(key)!.error("\(key) applies only to format: csv")
        }
        if formatName != "xml", let xmlNode = value("xml") { throw xmlNode.error("xml applies only to format: xml") }
        for key in ["template", "header", "footer", "content_type"] where formatName != "mustache" {
            if let extra = value(key) { throw extra.error("\(key) applies only to format: mustache") }
        }
        if formatName == "mustache", let columnsNode = value("columns") {
            throw columnsNode.error("columns do not apply to format: mustache (the template reads the document)")
        }

        let fileNode = try required("file", "\"{feed}.csv\"")
        let file: FeedFileName
        do { file = try FeedFileName(try fileNode.string()) } catch let problem as FeedFileName.Problem {
            throw fileNode.error(problem.description)
        }
        var feed = FeedConfig(
            name: name, collection: try required("collection", "vehicles").string(), formatName: formatName,
            format: format, file: file, destination: try required("to", "dealer_sftp").string()
        )
        if let filterNode = value("filter") {
            for (facet, entry) in try filterNode.mapping() {
                // Typed by the facet's kind once the collection is known (validateFeeds).
                feed.filter[facet] = .string(try entry.string())
            }
        }
        if let scheduleNode = value("schedule") { feed.schedule = try feedSchedule(scheduleNode) }
        if let changeNode = value("on_change") {
            if case .scalar = changeNode.node {
                feed.onChangeDebounce = try changeNode.duration()
            } else {
                for (_, entry) in try changeNode.mapping(allowed: ["debounce"]) { feed.onChangeDebounce = try entry.duration() }
                guard feed.onChangeDebounce != nil else { throw changeNode.error("debounce is required, e.g. { debounce: 30s }") }
            }
        }
        if let guardNode = value("shrink_guard") {
            let text = try guardNode.string()
            if text == "off" || text == "false" {
                feed.maxDrop = nil
            } else {
                let number = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
                guard let share = number, (0...1).contains(share) else {
                    throw guardNode.error("expected the share of items a run may lose, such as 50% or 0.5, or off")
                }
                feed.maxDrop = share
            }
        }
        return feed
    }

    /// `columns: { vin: /vin, price: /price }`, in file order.
    private static func feedColumns(_ node: ConfigNode) throws -> [FeedColumn] {
        var seen = Set<String>()
        return try node.mapping().map { name, value in
            guard seen.insert(name).inserted else { throw value.error("column '\(name)' appears twice") }
            return FeedColumn(name: name, pointer: try pointer(value))
        }
    }

    /// `1h` (an interval) or `"0 6 * * *"` (cron, UTC).
    private static func feedSchedule(_ node: ConfigNode) throws -> FeedSchedule {
        let text = try node.string()
        if let interval = Units.duration(text) {
            guard interval >= .seconds(1) else { throw node.error("an interval must be at least 1s") }
            return .every(interval)
        }
        do {
            return .cron(try CronExpression(text))
        } catch let problem as CronExpression.Problem {
            throw node.error("expected an interval such as 15m or 1h, or a cron expression such as \"0 6 * * *\": \(problem)")
        }
    }

    /// Every feed reads a configured collection, filters on its facets and publishes through
    /// an object or file destination.
    /// Number facets' filter values become numbers, as the projection stores them.
    static func validateFeeds(_ config: inout HubConfig, top: ConfigNode) throws {
        guard let feedsNode = try top.mapping().first(where: { $0.key == "feeds" })?.value else { return }
        for (index, entry) in try feedsNode.mapping().enumerated() {
            let feed = config.feeds[index]
            let fields = try entry.value.mapping()
            func node(_ key: String) -> ConfigNode { fields.first { $0.key == key }?.value ?? entry.value }
            guard let collection = config.collections.first(where: { $0.name == feed.collection }) else {
                let known = config.collections.map(\.name).sorted().joined(separator: ", ")
                throw node("collection").error("unknown collection '\(feed.collection)' (defined: \(known.isEmpty ? "none" : known))")
            }
            for (name, value) in feed.filter.sorted(by: { $0.key < $1.key }) {
                guard let facet = collection.projection.facet(named: name) else {
                    let known = collection.projection.facets.map(\.name).joined(separator: ", ")
                    throw node("filter").error("'\(name)' is not a facet of collection \(collection.name) (facets: \(known))")
                }
                guard facet.isNumber, case .string(let text) = value else { continue }
                guard let number = Int64(text).map(JSONValue.int) ?? Double(text).map(JSONValue.double) else {
                    throw node("filter").error("\(name) is a number facet; '\(text)' is not a number")
                }
                config.feeds[index].filter[name] = number
            }
            guard let destination = config.destinations.first(where: { $0.name == feed.destination }) else {
                let known = config.destinations.map(\.name).sorted().joined(separator: ", ")
                throw node("to").error("unknown destination '\(feed.destination)' (defined: \(known))")
            }
            guard [.s3, .sftp, .http].contains(destination.kind) else {
                throw node("to").error("a feed publishes through an s3, sftp or http destination; '\(destination.name)' is \(destination.kind.rawValue)")
            }
        }
    }
}
