/// Parsers for the human units config uses: durations (`200ms`, `5s`, `2m`, `24h`, `7d`) and
/// sizes (`512`, `64KiB`, `1MiB`, `1MB`).
enum Units {
    static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        return nil
    }

    static func size(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("kB", 1000), ("KB", 1000), ("MB", 1_000_000),
            ("GB", 1_000_000_000), ("B", 1),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0 else { return nil }
            return Int(value * Double(scale))
        }
        return Int(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// A duration the way config writes it: the largest unit that divides it (`90s`, `15m`, `200ms`).
    static func format(_ duration: Duration) -> String {
        let milliseconds = Int64((duration.seconds * 1000).rounded())
        let units: [(String, Int64)] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        for (suffix, scale) in units where milliseconds >= scale && milliseconds % scale == 0 {
            return "\(milliseconds / scale)\(suffix)"
        }
        return "\(milliseconds)ms"
    }
}
