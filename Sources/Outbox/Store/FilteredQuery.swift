import Foundation
import PostgresNIO

/// A statement assembled from fixed SQL fragments (`StaticString`: written in this module, never
/// built from input) and bound values. It is how ops queries vary with their filter without
/// ever putting a value into the SQL text.
struct FilteredQuery {
    private var interpolation = PostgresQuery.StringInterpolation(literalCapacity: 512, interpolationCount: 16)

    init(_ fragment: StaticString) { sql(fragment) }

    mutating func sql(_ fragment: StaticString) { interpolation.appendLiteral(fragment.description) }

    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) { interpolation.appendInterpolation(value) }

    /// ` AND <condition>` for each set field of `filter`; `d` is the delivery, `m` its message.
    mutating func conditions(_ filter: DeliveryFilter) {
        if let status = filter.status {
            sql(" AND d.status = ")
            bind(status.rawValue)
        }
        if let destination = filter.destination {
            sql(" AND d.destination = ")
            bind(destination)
        }
        if let type = filter.type {
            sql(" AND m.type = ")
            bind(type)
        }
        if let source = filter.source {
            sql(" AND m.source = ")
            bind(source)
        }
        if let subject = filter.subject {
            sql(" AND m.subject = ")
            bind(subject)
        }
        if let since = filter.since {
            sql(" AND d.created_at >= ")
            bind(since)
        }
        if let until = filter.until {
            sql(" AND d.created_at < ")
            bind(until)
        }
    }

    var query: PostgresQuery { PostgresQuery(stringInterpolation: interpolation) }
}
