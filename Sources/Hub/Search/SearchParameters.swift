import Foundation
import Hummingbird
import Outbox

/// Reads a search request's query string against its collection. Every problem is a 400 that
/// names the parameter; unknown parameters are refused (a mistyped filter would otherwise be
/// silently ignored and return everything).
struct SearchParameters {
    enum Paging {
        /// `/v1`: `page` (from 1) and `limit`.
        case pages
        /// `/v2`: `limit` and `cursor`.
        case cursor
    }

    static let defaultLimit = 20
    static let maxLimit = 50
    /// Deepest offset `/v1` pages reach; deeper browsing uses `/v2` cursors, which stay cheap.
    static let maxOffset = 5_000
    static let maxTextLength = 200

    var query: SearchQuery
    var page = 1
    var cursorText: String?

    init(
        _ parameters: some Sequence<(key: Substring, value: Substring)>, collection: ProjectionCollection, paging: Paging
    ) throws {
        query = SearchQuery(limit: Self.defaultLimit)
        var seen = Set<String>()
        var sortText: String?
        for (rawKey, rawValue) in parameters {
            let key = String(rawKey.removingPercentEncoding ?? String(rawKey))
            let value = String(rawValue)
            guard seen.insert(key).inserted else { throw APIError.invalidField(key, "\(key) is given more than once") }
            switch key {
            case "q":
                // Forms encode spaces as '+'; a literal plus means nothing to a text search.
                let text = value.replacingOccurrences(of: "+", with: " ").trimmingCharacters(in: .whitespaces)
                guard text.count <= Self.maxTextLength else {
                    throw APIError.invalidField("q", "q is longer than \(Self.maxTextLength) characters")
                }
                query.text = text.isEmpty ? nil : text
            case "sort": sortText = value
            case "limit": query.limit = try Self.integer(key, value, in: 1...Self.maxLimit)
            case "page" where paging == .pages: page = try Self.integer(key, value, in: 1...Int(Int32.max))
            case "cursor" where paging == .cursor: cursorText = value
            default: try readFilter(key, value, collection)
            }
        }
        query.sort = try Self.sort(sortText, collection)
        if paging == .pages {
            let offset = (page - 1).multipliedReportingOverflow(by: query.limit)
            guard !offset.overflow, offset.partialValue <= Self.maxOffset else {
                throw APIError.invalidField(
                    "page", "page \(page) reaches past the first \(Self.maxOffset) hits; use /v2 cursor paging to go deeper"
                )
            }
            query.start = .offset(offset.partialValue)
        }
    }

    /// `make=Toyota` for a keyword facet; `year_min=2018`, `price_max=30000` for a number facet.
    private mutating func readFilter(_ key: String, _ value: String, _ collection: ProjectionCollection) throws {
        if let facet = collection.facet(named: key), !facet.isNumber {
            guard !value.isEmpty else { throw APIError.invalidField(key, "\(key) must not be empty") }
            query.filters[key] = .equals(value)
            return
        }
        for (suffix, isMin) in [("_min", true), ("_max", false)] where key.hasSuffix(suffix) {
            let name = String(key.dropLast(suffix.count))
            guard let facet = collection.facet(named: name), facet.isNumber else { continue }
            guard let number = Double(value), number.isFinite else {
                throw APIError.invalidField(key, "\(key) must be a number, got '\(value)'")
            }
            var (min, max): (Double?, Double?) = (nil, nil)
            if case .range(let oldMin, let oldMax) = query.filters[name] { (min, max) = (oldMin, oldMax) }
            if isMin { min = number } else { max = number }
            query.filters[name] = .range(min: min, max: max)
            return
        }
        throw APIError.invalidField(key, "unknown parameter \(key) (expected: \(Self.known(collection).joined(separator: ", ")))")
    }

    /// `relevance` (the default), `newest`, a number facet (`price`: lowest first) or a number
    /// facet with a minus (`-price`: highest first).
    private static func sort(_ text: String?, _ collection: ProjectionCollection) throws -> SearchQuery.Sort {
        guard let text, !text.isEmpty else { return .relevance }
        switch text {
        case "relevance": return .relevance
        case "newest": return .newest
        default:
            let descending = text.hasPrefix("-")
            let name = descending ? String(text.dropFirst()) : text
            guard let facet = collection.facet(named: name), facet.isNumber else {
                let numbers = collection.facets.filter(\.isNumber).map(\.name)
                let options = ["relevance", "newest"] + numbers + numbers.map { "-\($0)" }
                throw APIError.invalidField("sort", "unknown sort '\(text)' (expected one of: \(options.joined(separator: ", ")))")
            }
            return descending ? .descending(facet: name) : .ascending(facet: name)
        }
    }

    private static func integer(_ key: String, _ value: String, in range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw APIError.invalidField(key, "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(value)'")
        }
        return number
    }

    private static func known(_ collection: ProjectionCollection) -> [String] {
        ["q", "sort", "limit", "page or cursor"]
            + collection.facets.flatMap { $0.isNumber ? ["\($0.name)_min", "\($0.name)_max"] : [$0.name] }
    }
}
