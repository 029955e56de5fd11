import Foundation
import Testing

@testable import Hub

/// `log: { format, level }`: JSON lines at info unless the config says otherwise.
@Suite struct LogConfigTests {
    let environment = ["HUB_DATABASE_URL": "postgres://hub@127.0.0.1:5432/hub"]

    @Test func theDefaultIsJSONAtInfo() throws {
        let config = try ConfigLoader.parse(#"database: { url: "${HUB_DATABASE_URL}" }"#, environment: environment)
        #expect(config.log.format == .json && config.log.level == "info")
        let text = try ConfigLoader.parse(
            "database: { url: \"${HUB_DATABASE_URL}\" }\nlog: { format: text, level: debug }", environment: environment
        )
        #expect(text.log.format == .text && text.log.level == "debug")
    }

    @Test func aBadFormatOrLevelNamesTheKeyAndLine() throws {
        for (yaml, key) in [("log: { format: xml }", "log.format"), ("log: { level: loud }", "log.level"), ("log: { colour: red }", "log.colour")] {
            do {
                _ = try ConfigLoader.parse("database: { url: \"${HUB_DATABASE_URL}\" }\n" + yaml, environment: environment)
                Issue.record("\(yaml) was accepted")
            } catch let error as ConfigError {
                #expect(error.key == key, "\(yaml)")
                #expect(error.line == 2, "\(yaml)")
            }
        }
    }
}
