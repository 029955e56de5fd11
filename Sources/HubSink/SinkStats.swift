import Foundation
import HTTPTypes
import NIOCore
import Synchronization

let webhookId = HTTPField.Name("webhook-id")!

final class SinkStats: Sendable {
    private struct State {
        var received = 0
        var ids = Set<String>()
        var latencies: [Double] = []
    }

    private let state = Mutex(State())

    private static let marker = Array("\"sent_ns\":".utf8)

    /// The integer after `"sent_ns":`, found by a plain byte scan: the sink must stay cheap
    /// next to the hub it measures.
    static func sentNanoseconds(in body: ByteBuffer) -> Double? {
        body.withUnsafeReadableBytes { bytes -> Double? in
            guard bytes.count >= marker.count else { return nil }
            var index = 0
            while index <= bytes.count - marker.count {
                if bytes[index] == marker[0], zip(marker.indices, marker).allSatisfy({ bytes[index + $0] == $1 }) {
                    var cursor = index + marker.count
                    var value: Double = 0
                    var digits = 0
                    while cursor < bytes.count, bytes[cursor] >= 48, bytes[cursor] <= 57 {
                        value = value * 10 + Double(bytes[cursor] - 48)
                        cursor += 1
                        digits += 1
                    }
                    return digits > 0 ? value : nil
                }
                index += 1
            }
            return nil
        }
    }

    func record(id: String?, sentNanoseconds: Double?) {
        let wall = Date().timeIntervalSince1970 * 1e9
        let latency = sentNanoseconds.map { (wall - $0) / 1e6 }
        state.withLock { state in
            state.received += 1
            if let id { state.ids.insert(id) }
            if let latency { state.latencies.append(latency) }
        }
    }

    func reset() { state.withLock { $0 = State() } }

    func json() -> String {
        let (received, unique, latencies) = state.withLock { ($0.received, $0.ids.count, $0.latencies.sorted()) }
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return latencies[min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)]
        }
        let ms = { (value: Double) in String(format: "%.3f", value) }
        return """
            {"received":\(received),"unique":\(unique),"latency_ms":{"count":\(latencies.count),\
            "p50":\(ms(percentile(0.5))),"p99":\(ms(percentile(0.99))),"max":\(ms(latencies.last ?? 0))}}
            """
    }
}
