import Daemon
import Foundation
import Indexer
import LocalStore
import Logging
import OmniModel
import ServiceLifecycle
import Sync
import WebUI

/// Builds the HTTP server (the WebUI module) on the daemon's services: its configuration, the
/// API's actions (`WebActions`), scan status and watch metrics. `RunCommand` makes the `EventHub`
/// and the `DaemonInfo` it is given and runs the returned service with the others.
///
/// - Parameters:
///   - events: the hub that `GET /api/events` streams from (fed by the daemon's `EventPipe`).
///   - descriptorLimit: the process's `RLIMIT_NOFILE` (raised at start): the connection cap stays below it.
///   - mounts: other front doors served by this server (the OpenSubsonic API), made on the
///     web API's actions.
///   - descriptors: the process's budget for files held by streams and artwork answers (shared with MPD).
///   - onListening: called once the server is bound, with `host:port` (the real port when 0
///     was asked for).
/// - Throws: `APIError` when the server's configuration is refused.
func makeHTTPService(context: DaemonContext, events: EventHub, logger: Logger, daemonInfo: DaemonInfo? = nil,
                     sync: SyncService? = nil, descriptorLimit: Int = 1024, descriptors: DescriptorBudget? = nil,
                     mounts: (any DaemonActions) -> [any HTTPMount] = { _ in [] },
                     onListening: @escaping @Sendable (String) -> Void) throws(APIError) -> any Service {
    let configuration = context.configuration
    let resources = Resources.locate()
    if configuration.web == nil && resources.web == nil {
        logger.warning("no web/ folder found beside the executable; serving the API only (set --web)")
    }
    // Music folders change on SIGHUP: files of a folder added since start stream too.
    let scans = context.scans
    let actions = WebActions(context: context, info: daemonInfo, sync: sync)
    var serverConfiguration = APIServerConfiguration(
        host: configuration.listen.host, port: configuration.listen.port,
        library: context.library, artwork: context.artwork,
        musicRoots: { scans.roots },
        webDirectory: configuration.web ?? resources.web, openAPIPath: resources.openAPI,
        accessToken: configuration.token,
        maxUploadBytes: Int(clamping: configuration.maxUploadBytes),
        events: events, actions: actions,
        logger: logger)
    serverConfiguration.mounts = mounts(actions)
    serverConfiguration.similar = context.similar
    let watchMetrics = WatchMetrics(registry: serverConfiguration.metrics)
    scans.observeRefreshes { report in
        let s = report.outcome.summary
        watchMetrics.record(latency: report.latency, added: s.added, updated: s.updated, moved: s.moved,
                            removed: s.removed, failed: s.failed)
    }
    var limited = serverConfiguration
    limited.connections = configuration.connections
    // Connections never take the descriptors the library, the watchers and the player need.
    limited.connections.maxConnections = ConnectionLimits.cap(configuration.connections.maxConnections,
                                                              descriptorLimit: descriptorLimit)
    limited.maxEventStreams = configuration.maxEventStreams
    limited.descriptors = descriptors
    limited.maxUploadTotalBytes = Int(clamping: configuration.maxUploadTotalBytes)
    let server = try APIServer(configuration: limited)
    return HTTPService(server: server, host: configuration.listen.host, onListening: onListening)
}

/// Runs the API server and announces its address once bound.
struct HTTPService: Service {
    let server: APIServer
    let host: String
    let onListening: @Sendable (String) -> Void

    func run() async throws {
        let server = self.server, host = self.host, onListening = self.onListening
        // Resolves when the socket is bound; if binding fails, run() throws and the process
        // exits, so this task never outlives the daemon.
        let announcer = Task {
            let port = await server.address.waitForPort()
            onListening(ListenAddress(host: host, port: port).description)
        }
        defer { announcer.cancel() }
        try await server.run()
    }
}

/// What the HTTP layer asks of the daemon, answered by the `DaemonContext`.
struct WebActions: DaemonActions {
    let context: DaemonContext
    var info: DaemonInfo?

    func daemonInfo() async -> DaemonInfo? { info }
    /// The sync client, when a sync server is configured.
    var sync: SyncService?

    func syncStatus() async -> SyncState { sync?.state() ?? .disabled }

    func scanStatus() async -> ScanStatus {
        Self.webStatus(context.scans.status(), watcher: context.watcher?.status())
    }

    func startScan() async -> ScanStatus {
        // Coalesces: while a scan runs, this queues exactly one more.
        context.scans.requestScan()
        var status = Self.webStatus(context.scans.status(), watcher: context.watcher?.status())
        status.running = true
        return status
    }

    func trash(uid: TrackUID) async throws -> Bool {
        do {
            _ = try await context.removeTrack(uid)
            return true
        } catch where error.reason == .notFound {
            return false
        }
    }

    func importFiles(_ files: [UploadedFile]) async throws -> ImportResult {
        let outcomes = await context.importFiles(files.map {
            Importer.Upload(temporaryPath: $0.temporaryPath, originalName: $0.fileName)
        })
        var result = ImportResult(uids: [])
        for outcome in outcomes {
            switch outcome.result {
            case .success(let track) where outcome.alreadyInLibrary: result.existing[outcome.originalName] = track.uid
            case .success(let track): result.uids.append(track.uid)
            case .failure(let error): result.rejected[outcome.originalName] = error.description
            }
        }
        return result
    }

    /// Inside the first music root so that moving an upload is a link, not a copy; hidden, so
    /// scans never index a half-written upload.
    var uploadDirectory: String { context.configuration.music[0] + "/.omnisonic-upload" }

    func playerStatus() async -> PlayerStatus? { context.player.status() }

    /// A player command may read and write the library (a queue from a search of up to 10,000
    /// tracks, the queue saved): on a thread of its own, like the other library work here.
    func player(_ command: PlayerCommand) async throws -> PlayerStatus {
        let player = context.player
        return try await DedicatedThread.run(named: "omnisonic-player-command") {
            Result { try player.perform(command) }
        }.get()
    }

    func schedules() async throws -> [ScheduleSummary] {
        let scheduler = context.scheduler
        return try await DedicatedThread.run(named: "omnisonic-schedule") {
            Result { () throws(StoreError) in try scheduler.list() }
        }.get()
    }

    func playerOutputs() async -> OutputList? { await context.player.outputs() }

    func saveSchedule(id: String?, _ definition: ScheduleDefinition) async throws -> String {
        let scheduler = context.scheduler
        return try await DedicatedThread.run(named: "omnisonic-schedule") {
            Result { () throws(StoreError) in try scheduler.save(id: id, definition) }
        }.get()
    }

    func deleteSchedule(id: String) async throws {
        let scheduler = context.scheduler
        try await DedicatedThread.run(named: "omnisonic-schedule") {
            Result { () throws(StoreError) in try scheduler.delete(id: id) }
        }.get()
    }

    func analysisStatus() async -> AnalysisStatus { context.analysis?.status() ?? .disabled }

    func radioState() async -> RadioState? { context.radio.status() }

    /// On a thread of its own: the radio's start reads the library and may build the index.
    func startRadio(seed: TrackUID, replace: Bool) async throws -> RadioState {
        let radio = context.radio
        return try await DedicatedThread.run(named: "omnisonic-radio-start") {
            Result { try radio.start(seed: seed, replace: replace) }
        }.get()
    }

    func stopRadio() async throws -> RadioState {
        let radio = context.radio
        return await DedicatedThread.run(named: "omnisonic-radio-stop") { radio.stop() }
    }

    func analyseAgain(uid: TrackUID) async throws -> Bool {
        guard let analysis = context.analysis else { throw APIError.analysisOff }
        return try await analysis.requestAgain(uid)
    }

    /// The analysis' duplicate groups with each copy's format, bitrate, duration and tags, best
    /// copy first (lossless, then the highest bitrate, then the longest).
    func duplicateGroups() async -> [DuplicateGroup]? {
        guard let analysis = context.analysis, let groups = try? await analysis.duplicates() else { return nil }
        let library = context.library
        return await DedicatedThread.run(named: "omnisonic-duplicates") {
            groups.compactMap { members -> DuplicateGroup? in
                var tracks: [DuplicateTrack] = members.compactMap { member in
                    guard let t = try? library.track(uid: member.uid) else { return nil }
                    return DuplicateTrack(uid: t.uid, title: t.title, artist: t.artist, album: t.album, codec: t.codec,
                                          container: t.container, bitrate: t.bitrate, durationMs: t.durationMs,
                                          sampleRate: t.sampleRate, bitsPerSample: t.bitsPerSample,
                                          path: (try? library.files(ofTrack: t.uid).first?.absolutePath.displayString) ?? nil,
                                          similarity: (member.similarity * 1000).rounded() / 1000)
                }
                guard tracks.count > 1 else { return nil }
                let lossless: Set<String> = ["flac", "alac", "wavpack", "ape", "tta"]
                func isLossless(_ t: DuplicateTrack) -> Bool { lossless.contains(t.codec) || t.codec.hasPrefix("pcm") }
                tracks.sort { x, y in
                    if isLossless(x) != isLossless(y) { return isLossless(x) }
                    if (x.bitrate ?? 0) != (y.bitrate ?? 0) { return (x.bitrate ?? 0) > (y.bitrate ?? 0) }
                    return (x.durationMs ?? 0) > (y.durationMs ?? 0)
                }
                var differences: [String] = []
                if Set(tracks.map { "\($0.codec)/\($0.container)" }).count > 1 { differences.append("format") }
                if Set(tracks.map { $0.bitrate.map { $0 / 1000 } }).count > 1 { differences.append("bitrate") }
                let durations = tracks.compactMap(\.durationMs)
                if let low = durations.min(), let high = durations.max(), high - low >= 1000 { differences.append("duration") }
                if Set(tracks.map { [$0.title, $0.artist ?? "", $0.album ?? ""] }).count > 1 { differences.append("tags") }
                return DuplicateGroup(uids: tracks.map(\.uid), reason: "same fingerprint", tracks: tracks, differences: differences)
            }
        }
    }

    /// The scan service's status with how each music folder is followed (the watchers'
    /// part, which the scan service does not know).
    static func webStatus(_ status: ScanStatus, watcher: WatchService.Status?) -> ScanStatus {
        var status = status
        status.watching = (watcher?.roots ?? []).map {
            WatchedFolder(path: $0.path, mode: $0.mode.rawValue, watchedFolders: $0.watchedFolders, problem: $0.problem)
        }
        return status
    }
}
