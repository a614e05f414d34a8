import Foundation
import Hummingbird
import LocalStore
import OmniModel
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

/// The body of `GET /api/status` (what `omnisonicd status` prints): one member per subsystem
/// (library, scan and watching, player, sync); clients ignore members they do not know.
struct DaemonStatus: Encodable {
    struct Library: Encodable {
        var tracks: Int
        var albums: Int
        var artists: Int
    }

    /// The player in brief (`GET /api/player` has the whole queue).
    struct Player: Encodable {
        var state: String
        var title: String?
        var artist: String?
        var index: Int?
        var queueLength: Int
        var positionMs: Int
        var durationMs: Int?
        var volume: Int
        var device: String
        var error: String?
        var underruns: Int
    }

    var version: String?
    var pid: Int32?
    var startedAt: Double?
    var uptimeSeconds: Double?
    var library: Library
    var scan: ScanStatus
    /// Nil when the daemon has no player.
    var player: Player?
    var sync: SyncState
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
            scan: await configuration.actions.scanStatus(),
            player: try await playerSummary(),
            sync: await configuration.actions.syncStatus())
    }

    private func playerSummary() async throws -> DaemonStatus.Player? {
        guard let player = await configuration.actions.playerStatus() else { return nil }
        let current = player.currentIndex.flatMap { player.queue.indices.contains($0) ? player.queue[$0] : nil }
        let track = try current.flatMap { try library.track(uid: $0.uid) }
        return DaemonStatus.Player(
            state: player.state.rawValue, title: track?.title, artist: track?.artist, index: player.currentIndex,
            queueLength: player.queue.count, positionMs: player.positionMs, durationMs: player.durationMs,
            volume: player.volume, device: player.output.device, error: player.error, underruns: player.underruns)
    }

    /// `omnisonic_uptime_seconds`, `omnisonic_build_info{version}` and the sync client's
    /// `omnisonic_sync_client_*` gauges (set before each scrape).
    func recordDaemonMetrics() async {
        let sync = await configuration.actions.syncStatus()
        if sync.enabled {
            func gauge(_ name: String, _ help: String, _ value: Double) {
                configuration.metrics.makeGauge(descriptor: MetricNameDescriptor(
                    namespace: "omnisonic", subsystem: "sync_client", metricName: name, helpText: help)).set(value)
            }
            gauge("connected", "1 while the last exchange with the sync server succeeded", sync.connected ? 1 : 0)
            gauge("pending_operations", "Local operations the server has not acknowledged yet", Double(sync.pending))
            gauge("lag_seconds", "Seconds since the last successful push or pull (-1: never)",
                  sync.lastSync.map { max(0, Date().timeIntervalSince1970 - $0) } ?? -1)
            gauge("error", "1 while the sync client reports an error", sync.error == nil ? 0 : 1)
        }
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
