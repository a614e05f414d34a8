import Foundation
import Hummingbird
import Indexer
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
    /// The music folders the daemon watches (what `omnisonicd doctor` checks).
    var music: [String]
    var startedAt: Double?
    var uptimeSeconds: Double?
    var library: Library
    var scan: ScanStatus
    /// Nil when the daemon has no player.
    var player: Player?
    var sync: SyncState
    /// The background analysis (decision 0031).
    var analysis: AnalysisStatus
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
            version: info?.version, pid: info?.pid, music: configuration.musicRoots().map(\.displayString),
            startedAt: info?.startedAt.timeIntervalSince1970,
            uptimeSeconds: info.map { max(0, Date().timeIntervalSince($0.startedAt)) },
            library: .init(tracks: counts.tracks, albums: counts.albums, artists: counts.artists),
            scan: await configuration.actions.scanStatus(),
            player: try await playerSummary(),
            sync: await configuration.actions.syncStatus(),
            analysis: await configuration.actions.analysisStatus())
    }

    private func playerSummary() async throws -> DaemonStatus.Player? {
        guard let player = await configuration.actions.playerStatus() else { return nil }
        let track = try player.current.flatMap { try library.track(uid: $0.uid) }
        return DaemonStatus.Player(
            state: player.state.rawValue, title: track?.title, artist: track?.artist, index: player.currentIndex,
            queueLength: player.queue.count, positionMs: player.positionMs, durationMs: player.durationMs,
            volume: player.volume, device: player.output.device, error: player.error, underruns: player.underruns)
    }

    /// `GET /metrics`: the registry's text, after setting the gauges read at scrape time — the
    /// sync client's `omnisonic_sync_client_*`, `omnisonic_uptime_seconds`,
    /// `omnisonic_build_info{version}`, `omnisonic_player_underruns_total` and
    /// `omnisonic_library_tracks_count`.
    func metrics() async throws -> Response {
        let sync = await configuration.actions.syncStatus()
        if sync.enabled {
            setGauge("sync_client", "connected", help: "1 while the last exchange with the sync server succeeded",
                     sync.connected ? 1 : 0)
            setGauge("sync_client", "pending_operations", help: "Local operations the server has not acknowledged yet",
                     Double(sync.pending))
            setGauge("sync_client", "lag_seconds", help: "Seconds since the last successful push or pull (-1: never)",
                     sync.lastSync.map { max(0, Date().timeIntervalSince1970 - $0) } ?? -1)
            setGauge("sync_client", "error", help: "1 while the sync client reports an error", sync.error == nil ? 0 : 1)
        }
        if let info = await configuration.actions.daemonInfo() {
            setGauge(nil, "uptime", unit: "seconds", help: "Seconds since the daemon started",
                     max(0, Date().timeIntervalSince(info.startedAt)))
            setGauge(nil, "build", unit: "info", help: "Always 1; the version is the label", 1,
                     labels: [("version", info.version)])
        }
        if let player = await configuration.actions.playerStatus() {
            setGauge("player", "underruns", unit: "total",
                     help: "Output underruns recovered with snd_pcm_recover since the daemon started",
                     Double(player.underruns))
        }
        setGauge("library", "tracks", unit: "count", help: "Tracks in the library", Double(try library.trackCount()))
        let analysis = await configuration.actions.analysisStatus()
        if analysis.enabled {
            for (state, count) in [("done", analysis.done), ("queued", analysis.queued), ("failed", analysis.failed)] {
                setGauge("analysis", "tracks", help: "Tracks by analysis state (done, queued, failed)", Double(count), labels: [("state", state)])
            }
            setGauge("analysis", "running", help: "1 while analysis workers run", analysis.running ? 1 : 0)
            setGauge("analysis", "rate", help: "Tracks analysed per second over the current or last pass", analysis.rate)
            setGauge("analysis", "analysed_since_start", help: "Tracks analysed (done or failed) since the daemon started",
                     Double(analysis.analysedSinceStart))
        }
        let text = configuration.metrics.emitToBuffer()
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }

    /// Sets the gauge `omnisonic[_subsystem]_name[_unit]` (registered on first use).
    private func setGauge(_ subsystem: String?, _ name: String, unit: String = "", help: String, _ value: Double,
                          labels: [(String, String)] = []) {
        configuration.metrics.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "omnisonic", subsystem: subsystem, metricName: name,
                                             unitName: unit, helpText: help),
            labels: labels).set(value)
    }
}
