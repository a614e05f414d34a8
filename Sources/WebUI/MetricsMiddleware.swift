import Hummingbird
import Prometheus

/// Request latency by route and method, and request counts by route and status, straight into
/// the server's `PrometheusCollectorRegistry` (no global metrics factory).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    static var duration: MetricNameDescriptor { MetricNameDescriptor(namespace: "omnisonic", subsystem: "http", metricName: "request_duration",
                                               unitName: "seconds", helpText: "HTTP request latency by route") }
    static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "omnisonic", subsystem: "http", metricName: "requests",
                                               unitName: "total", helpText: "HTTP requests by route and status") }

    static var buckets: [Duration] {
        [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
         .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5)]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            record(request, context: context, status: APIError.from(error).status.code, start: start)
            throw error
        }
        record(request, context: context, status: response.status.code, start: start)
        return response
    }

    private func record(_ request: Request, context: Context, status: Int, start: ContinuousClock.Instant) {
        // Unmatched paths share one label so that clients cannot grow the label set.
        let route = context.endpointPath ?? "unmatched"
        let method = request.method.rawValue
        registry.makeDurationHistogram(descriptor: Self.duration,
                                       labels: [("route", route), ("method", method)], buckets: Self.buckets)
            .record(ContinuousClock.now - start)
        registry.makeCounter(descriptor: Self.requests,
                             labels: [("route", route), ("method", method), ("status", String(status))])
            .increment()
    }
}
