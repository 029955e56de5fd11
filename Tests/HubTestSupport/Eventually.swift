/// Waits until `condition` holds, checking every 20 ms, and fails after `timeout`. For results
/// that arrive asynchronously (a delivery, a retry); the timeout is generous, never a measurement.
public func eventually(
    timeout: Duration = .seconds(20), _ what: String, _ condition: @Sendable () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestEnvironmentError(description: "timed out after \(timeout) waiting for: \(what)")
}
