import Foundation

/// How one collection (vehicles, say) is projected: which message types delete a subject's
/// document, which text is indexed with which weight, and which values are facets.
public struct ProjectionCollection: Sendable {
    /// Postgres full-text weights, A (strongest) to D.
    public enum Weight: String, Sendable, CaseIterable { case A, B, C, D }

    public struct TextField: Sendable, Equatable {
        public var pointer: JSONPointer
        public var weight: Weight
        public init(pointer: JSONPointer, weight: Weight) {
            self.pointer = pointer
            self.weight = weight
        }
    }

    public struct Facet: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// Filtered by equality, counted by value.
            case keyword
            /// Filtered by `_min` / `_max`; counted by value, or by range when `buckets` (ascending
            /// lower bounds) are given.
            case number(buckets: [Double])
        }
        public var name: String
        public var pointer: JSONPointer
        public var kind: Kind
        public init(name: String, pointer: JSONPointer, kind: Kind) {
            self.name = name
            self.pointer = pointer
            self.kind = kind
        }

        public var isNumber: Bool { if case .number = kind { true } else { false } }
    }

    public var name: String
    /// The Postgres text search configuration (`english`, `simple`, ...).
    public var language: String
    public var deleteTypes: Set<String>
    public var text: [TextField]
    public var facets: [Facet]

    public init(name: String, language: String = "english", deleteTypes: Set<String> = [], text: [TextField] = [],
                facets: [Facet] = []) {
        self.name = name
        self.language = language
        self.deleteTypes = deleteTypes
        self.text = text
        self.facets = facets
    }

    public func facet(named name: String) -> Facet? { facets.first { $0.name == name } }
}

/// One write to the projection: a subject's new document, or its tombstone.
public struct ProjectionRecord: Sendable, Equatable {
    public var collection: String
    public var subject: String
    /// The writing message's time and id: the version an older message cannot overwrite.
    public var versionTime: Date
    public var versionId: UUID
    /// The document as JSON text; nil for a tombstone.
    public var document: String?
    /// Facet values as a JSON object (numbers as numbers).
    public var facets: String
    /// The indexed text per weight.
    public var text: [ProjectionCollection.Weight: String]

    public init(collection: String, subject: String, versionTime: Date, versionId: UUID, document: String?,
                facets: String = "{}", text: [ProjectionCollection.Weight: String] = [:]) {
        self.collection = collection
        self.subject = subject
        self.versionTime = versionTime
        self.versionId = versionId
        self.document = document
        self.facets = facets
        self.text = text
    }

    public var isTombstone: Bool { document == nil }
}
