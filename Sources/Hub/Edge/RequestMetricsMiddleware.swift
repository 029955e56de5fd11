import Hummingbird
import Metrics
import Outbox
import Synchronization

/// `hub_http_request_duration_seconds{route, method, status}`: a histogram per endpoint and
/// answer, whose `_count` is the request rate. Metric handles are made once per key and
/// cached; building them per request (as a generic middleware does) cost about a tenth of the
/// ingest throughput on this class of machine.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private final class Handles: Sendable {
        let timers = Mutex<[Key: Metrics.Timer]>([:])

        func timer(for key: Key) -> Metrics.Timer {
            timers.withLock { timers in
                if let timer = timers[key] { return timer }
                let timer = Metrics.Timer(
                    label: "hub_http_request_duration_seconds",
                    dimensions: [("route", key.route), ("method", key.method), ("status", "\(key.status)")]
                )
                timers[key] = timer
                return timer
            }
        }
    }

    private let handles = Handles()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        // Unmatched paths share one label so that scanners cannot grow the metric without bound.
        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - start
        handles.timer(for: Key(route: route, method: request.method.rawValue, status: Int(response.status.code)))
            .recordNanoseconds(Int64(elapsed.seconds * 1e9))
        return response
    }
}
