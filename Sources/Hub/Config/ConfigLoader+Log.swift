import Logging

extension ConfigLoader {
    /// `log: { format: json | text, level: trace ... critical }`.
    static func logSettings(_ node: ConfigNode) throws -> LogSettings {
        var settings = LogSettings()
        for (key, value) in try node.mapping(allowed: ["format", "level"]) {
            let text = try value.string()
            switch key {
            case "format":
                guard let format = LogSettings.Format(rawValue: text) else {
                    throw value.error("unknown format '\(text)' (expected one of: json, text)")
                }
                settings.format = format
            default:
                guard Logger.Level(rawValue: text) != nil else {
                    let known = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                    throw value.error("unknown level '\(text)' (expected one of: \(known))")
                }
                settings.level = text
            }
        }
        return settings
    }
}
