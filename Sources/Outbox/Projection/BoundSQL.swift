import PostgresNIO

/// SQL assembled from fixed fragments with every value bound as a parameter, for statements
/// whose shape depends on configuration (how many facets, which filters).
struct BoundSQL {
    private(set) var text = ""
    private(set) var bindings = PostgresBindings()

    mutating func append(_ fixed: String) { text += fixed }

    /// Binds `value` and returns its placeholder (`$n`), which may be used more than once.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        bindings.append(value)
        return "$\(bindings.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: bindings) }
}
