import Foundation

/// A search over one collection, already validated against it.
public struct SearchQuery: Sendable, Equatable {
    public enum Filter: Sendable, Equatable {
        case equals(String)
        case range(min: Double?, max: Double?)
    }

    public enum Sort: Sendable, Equatable {
        /// Best text match first; without text, the same as newest.
        case relevance
        /// Most recently changed (by message time) first.
        case newest
        case ascending(facet: String)
        case descending(facet: String)
    }

    /// Where a page starts: after `offset` hits, or after the hit with this sort key and subject.
    public enum Start: Sendable, Equatable {
        case offset(Int)
        case after(key: Double, subject: String)
    }

    public var text: String?
    /// By facet name.
    public var filters: [String: Filter]
    public var sort: Sort
    public var limit: Int
    public var start: Start
    /// Most values reported per keyword or unbucketed number facet.
    public var facetLimit: Int

    public init(text: String? = nil, filters: [String: Filter] = [:], sort: Sort = .relevance, limit: Int = 20,
                start: Start = .offset(0), facetLimit: Int = 20) {
        self.text = text
        self.filters = filters
        self.sort = sort
        self.limit = limit
        self.start = start
        self.facetLimit = facetLimit
    }
}

/// What a search found: one page of hits, the number of all matching documents, and each
/// facet's counts under the other facets' filters.
public struct SearchResult: Sendable {
    public struct Hit: Sendable {
        public var subject: String
        /// The whole stored document as JSON text (the edge picks the public fields).
        public var document: String
        /// The text-match rank, when the query had text.
        public var score: Double?
        /// The value the page is ordered by, for the next page's cursor.
        public var sortKey: Double
    }

    public enum FacetValue: Sendable, Hashable {
        case keyword(String)
        case number(Double)
        /// `[min, max)`; nil is unbounded.
        case range(min: Double?, max: Double?)
    }

    public struct FacetCounts: Sendable {
        public var name: String
        public var counts: [(value: FacetValue, count: Int)]
    }

    public var total: Int
    public var hits: [Hit]
    /// True when more hits follow this page.
    public var hasMore: Bool
    public var facets: [FacetCounts]
}
