import Foundation
import HubTestSupport
import NIOHTTP1
import Testing
import Yams

@testable import Hub

/// Every bearer operation of both contracts, called with a token of each role: allowed or 403
/// exactly as its `x-hub-role` says (`admin` implies every role). The roles are read from the
/// contract files, so the contracts and the server cannot drift apart.
@Suite struct RoleMatrixTests {
    struct Operation: CustomStringConvertible {
        var method: String
        var path: String
        var role: Role
        var contentType: String?
        var description: String { "\(method) \(path) (\(role.rawValue))" }
    }

    static func contractOperations() throws -> [Operation] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var operations: [Operation] = []
        for version in ["v1", "v2"] {
            let text = try String(contentsOf: root.appendingPathComponent("contracts/\(version)/openapi.yaml"), encoding: .utf8)
            let document = try #require(try Yams.load(yaml: text) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: Any])
            for (path, item) in paths {
                for (method, value) in (item as? [String: Any]) ?? [:] {
                    guard ["get", "post", "put", "patch", "delete"].contains(method), let operation = value as? [String: Any]
                    else { continue }
                    // Signed (`security: []`) or public (an empty requirement among the choices): no role applies.
                    if let security = operation["security"] as? [Any],
                        security.isEmpty || security.contains(where: { ($0 as? [String: Any])?.isEmpty == true })
                    { continue }
                    let name = operation["x-hub-role"] as? String ?? "(none)"
                    guard let role = Role(rawValue: name) else {
                        Issue.record("\(method.uppercased()) \(path) has a bearer token but x-hub-role '\(name)'")
                        continue
                    }
                    let content = ((operation["requestBody"] as? [String: Any])?["content"] as? [String: Any])?.keys.sorted()
                    operations.append(Operation(method: method.uppercased(), path: path, role: role, contentType: content?.first))
                }
            }
        }
        return operations.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    @Test func everyRoleIsAllowedOrRefusedAsTheContractSays() async throws {
        let operations = try Self.contractOperations()
        #expect(operations.count >= 10)
        try await withHub({ database in testConfig(database: database) }) { hub in
            // One database token per role (admin too), made through the API the matrix also covers.
            var tokens: [Role: String] = [:]
            for role in Role.allCases {
                let created = try await hub.post(
                    "/v1/tokens", #"{"name":"matrix-\#(role.rawValue)","role":"\#(role.rawValue)"}"#, token: TestTokens.admin
                )
                tokens[role] = try #require(created.json["token"] as? String)
            }
            for operation in operations {
                let path = operation.path.replacingOccurrences(
                    of: "\\{[^}]+\\}", with: "01a23347-1a6d-7721-a57f-61c92c5a0c0a", options: .regularExpression
                )
                for role in Role.allCases {
                    let answer = try await hub.request(
                        HTTPMethod(rawValue: operation.method), path, body: operation.contentType == nil ? nil : "{}",
                        token: tokens[role], contentType: operation.contentType ?? "application/json"
                    )
                    let allowed = role == operation.role || role == .admin
                    if allowed {
                        #expect(answer.status != 403 && answer.status != 401, "\(operation) as \(role.rawValue): \(answer.status)")
                    } else {
                        #expect(answer.status == 403, "\(operation) as \(role.rawValue): \(answer.status)")
                    }
                }
            }
        }
    }
}
