import OmniModel
import Prometheus

/// Scan figures for `/metrics`, fed by the same `LibraryEvent`s the browser receives.
///
/// Kept in the web layer so the scan service does not depend on Prometheus: the server
/// subscribes to its `EventHub` while it runs and turns scan events into
/// - `omnisonic_scan_runs_total`, `omnisonic_scan_duration_seconds` (histogram),
/// - `omnisonic_scan_files_total{outcome="added|updated|moved|removed|failed"}`,
/// - `omnisonic_scan_running`, `omnisonic_scan_progress_done`, `omnisonic_scan_progress_total`.
struct ScanMetrics: Sendable {
    let runs: Counter
    let duration: ValueHistogram
    let files: [String: Counter]
    let running: Gauge
    let done: Gauge
    let total: Gauge

    init(registry: PrometheusCollectorRegistry) {
        runs = registry.makeCounter(descriptor: metric("scan", "runs", unit: "total", "Scans finished"))
        duration = registry.makeValueHistogram(
            descriptor: metric("scan", "duration", unit: "seconds", "Wall time of each scan"),
            buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300])
        var files: [String: Counter] = [:]
        for outcome in ["added", "updated", "moved", "removed", "failed"] {
            files[outcome] = registry.makeCounter(descriptor: metric("scan", "files", unit: "total", "Files by what a scan did with them"),
                                                  labels: [("outcome", outcome)])
        }
        self.files = files
        running = registry.makeGauge(descriptor: metric("scan", "running", "1 while a scan runs"))
        done = registry.makeGauge(descriptor: metric("scan", "progress", unit: "done", "Files probed by the running scan"))
        total = registry.makeGauge(descriptor: metric("scan", "progress", unit: "total", "Files the running scan will probe"))
    }

    /// Updates the figures for one event (other events are ignored).
    func record(_ event: LibraryEvent) {
        switch event {
        case let .scan(phase, done, total, _):
            running.set(Double(phase == "idle" ? 0 : 1))
            self.done.set(Double(done))
            self.total.set(Double(total))
        case let .scanFinished(added, updated, moved, removed, failed, seconds):
            runs.increment()
            duration.record(seconds)
            for (outcome, count) in [("added", added), ("updated", updated), ("moved", moved), ("removed", removed), ("failed", failed)] {
                files[outcome]?.increment(by: Int64(count))
            }
            running.set(Double(0))
        default:
            break
        }
    }
}

/// Figures of the library following the disk live, for `/metrics`:
/// - `omnisonic_watch_apply_seconds` (histogram): from a watched batch reaching the scan lane to
///   the library showing it,
/// - `omnisonic_watch_batches_total`, `omnisonic_watch_files_total{outcome=...}`.
/// The daemon feeds it from its scan lane (`record`), since these are not browser events.
public struct WatchMetrics: Sendable {
    let latency: ValueHistogram
    let batches: Counter
    let files: [String: Counter]

    public init(registry: PrometheusCollectorRegistry) {
        latency = registry.makeValueHistogram(
            descriptor: metric("watch", "apply", unit: "seconds", "From a watched change reaching the scan lane to the library showing it"),
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 10])
        batches = registry.makeCounter(descriptor: metric("watch", "batches", unit: "total", "Watched batches applied"))
        var files: [String: Counter] = [:]
        for outcome in ["added", "updated", "moved", "removed", "failed"] {
            files[outcome] = registry.makeCounter(descriptor: metric("watch", "files", unit: "total", "Files by what a watched batch did with them"),
                                                  labels: [("outcome", outcome)])
        }
        self.files = files
    }

    /// Records one applied batch.
    public func record(latency seconds: Double, added: Int, updated: Int, moved: Int, removed: Int, failed: Int) {
        latency.record(seconds)
        batches.increment()
        for (outcome, n) in [("added", added), ("updated", updated), ("moved", moved), ("removed", removed), ("failed", failed)] where n > 0 {
            files[outcome]?.increment(by: Int64(n))
        }
    }
}

/// The descriptor of `omnisonic_<subsystem>_<name>_<unit>` (an empty unit adds nothing) with its
/// `# HELP` text.
func metric(_ subsystem: String, _ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(namespace: "omnisonic", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
}
