/// A configuration problem, naming the key (dotted path) and the line it is on.
struct ConfigError: Error, CustomStringConvertible, Equatable {
    var key: String
    var line: Int?
    var message: String

    var description: String {
        let place = line.map { "line \($0), " } ?? ""
        return "config error: \(place)\(key.isEmpty ? "(top level)" : key): \(message)"
    }
}
