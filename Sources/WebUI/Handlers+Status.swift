import Foundation
import Hummingbird
import LocalStore
import Prometheus

/// About the running daemon, as the daemon reports it (`DaemonActions.daemonInfo()`).
public struct DaemonInfo: Sendable, Equatable {
    /// The daemon's version (`omnisonicd --version`).
    public var version: String
    /// When the daemon started.
    public var startedAt: Date
    /// The daemon's process id.
    public var pid: Int32

    public init(version: String, startedAt: Date, pid: Int32) {
        self.version = version
        self.startedAt = startedAt
        self.pid = pid
    }
}

/// The body of `GET /api/status` (what `omnisonicd status` prints).
///
/// Open for the subsystems to come: the player and the sync client add their own optional
/// member (`player`, `sync`); clients ignore members they do not know.
struct DaemonStatus: Encodable {
    struct Library: Encodable {
        var tracks: Int
        var albums: Int
        var artists: Int
    }

    var version: String?
    var pid: Int32?
    var startedAt: Double?
    var uptimeSeconds: Double?
    var library: Library
    var scan: ScanStatus
}

extension Handlers {
    /// `GET /api/status` and the daemon figures of `/metrics`.
    func registerStatus(on router: Router<BasicRequestContext>) {
        router.get("/api/status") { _, _ in try JSONBody.response(try await self.status()) }
    }

    func status() async throws -> DaemonStatus {
        let counts = try library.counts()
        let info = await configuration.actions.daemonInfo()
        return DaemonStatus(
            version: info?.version, pid: info?.pid, startedAt: info?.startedAt.timeIntervalSince1970,
            uptimeSeconds: info.map { max(0, Date().timeIntervalSince($0.startedAt)) },
            library: .init(tracks: counts.tracks, albums: counts.albums, artists: counts.artists),
            scan: await configuration.actions.scanStatus())
    }

    /// `omnisonic_uptime_seconds` and `omnisonic_build_info{version}` (set before each scrape).
    func recordDaemonMetrics() async {
        guard let info = await configuration.actions.daemonInfo() else { return }
        configuration.metrics.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "omnisonic", metricName: "uptime", unitName: "seconds", helpText: "Seconds since the daemon started"))
            .set(max(0, Date().timeIntervalSince(info.startedAt)))
        configuration.metrics.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "omnisonic", metricName: "build", unitName: "info", helpText: "Always 1; the version is the label"),
                                        labels: [("version", info.version)])
            .set(Double(1))
    }
}
