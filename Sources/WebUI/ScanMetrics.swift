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
        runs = registry.makeCounter(name: "omnisonic_scan_runs_total", help: "Scans finished")
        duration = registry.makeValueHistogram(
            name: "omnisonic_scan_duration_seconds", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
            help: "Wall time of each scan")
        var files: [String: Counter] = [:]
        for outcome in ["added", "updated", "moved", "removed", "failed"] {
            files[outcome] = registry.makeCounter(name: "omnisonic_scan_files_total", labels: [("outcome", outcome)],
                                                  help: "Files by what a scan did with them")
        }
        self.files = files
        running = registry.makeGauge(name: "omnisonic_scan_running", help: "1 while a scan runs")
        done = registry.makeGauge(name: "omnisonic_scan_progress_done", help: "Files probed by the running scan")
        total = registry.makeGauge(name: "omnisonic_scan_progress_total", help: "Files the running scan will probe")
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
            name: "omnisonic_watch_apply_seconds", buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 10],
            help: "From a watched change reaching the scan lane to the library showing it")
        batches = registry.makeCounter(name: "omnisonic_watch_batches_total", help: "Watched batches applied")
        var files: [String: Counter] = [:]
        for outcome in ["added", "updated", "moved", "removed", "failed"] {
            files[outcome] = registry.makeCounter(name: "omnisonic_watch_files_total", labels: [("outcome", outcome)],
                                                  help: "Files by what a watched batch did with them")
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
