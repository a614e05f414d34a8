import Foundation
import Glibc
import Indexer
import LocalStore
import Logging
import OmniModel
import Player

/// The daemon's shared parts, opened once by `omnisonicd run` and handed to the HTTP layer.
///
/// Holds the library, its indexer, the background `ScanService`, and the operations the API
/// needs beyond reading the library: removing a track to the trash and importing uploads.
/// Those are blocking, so each runs on a dedicated thread and is awaited.
///
/// A `Sendable` value: every part is itself safe from any thread or task.
public struct DaemonContext: Sendable {
    public let configuration: Configuration
    public let library: Library
    public let artwork: ArtworkCache
    public let indexer: Indexer
    public let scans: ScanService
    /// Follows the music folders with inotify (nil when opened with `watch: false`).
    public let watcher: WatchService?
    public let trash: Trash
    public let importer: Importer
    /// The server-side player (its output thread runs under `PlayerService`).
    public let player: Player
    /// Planned plays (run by `PlayerService`).
    public let scheduler: PlayerScheduler
    /// The background analysis (nil when `analysis = false`); woken by the scan lane's events.
    public let analysis: AnalysisService?
    /// The similarity index every front door reads (decision 0035); the HTTP server's event
    /// subscription marks it stale.
    public let similar: SimilarTracks
    /// The player's radio: hears the player's events, tops its queue up.
    public let radio: PlayerRadio
    private let publish: @Sendable (LibraryEvent) -> Void
    private let logger: Logger

    /// Creates the data and cache folders (mode 0700), opens (and migrates) the library.
    ///
    /// - Parameters:
    ///   - watch: follow the music folders live (`WatchService`, which asks for the start scan
    ///     once every root is watched); without it, `scans` scans once at start.
    ///   - watchOptions: the watcher's timings and limits.
    ///   - publish: receives every `LibraryEvent` (the web layer's event hub); any thread, must
    ///     not block.
    /// - Throws: `DaemonError` when a folder cannot be created or the library cannot be opened.
    public static func open(_ configuration: Configuration, logger: Logger,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            watch: Bool = true, watchOptions: WatchService.Options = WatchService.Options(),
                            publish: @escaping @Sendable (LibraryEvent) -> Void) throws(DaemonError) -> DaemonContext {
        guard !configuration.music.isEmpty else {
            throw DaemonError(.cannotStart, message: "no music folder is configured")
        }
        for folder in [configuration.data, configuration.cache, configuration.artwork] {
            do {
                try PrivateFiles.makeFolder(folder)
            } catch {
                throw DaemonError(.cannotStart, message: "cannot create the folder \(folder)", detail: "\(error)")
            }
        }
        let library: Library
        do {
            library = try Library(path: configuration.database)
        } catch {
            throw DaemonError(.cannotStart, message: error.description, detail: error.expandedDescription)
        }
        for root in configuration.music {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) || !isDirectory.boolValue {
                logger.warning("music folder is missing; its tracks are kept until it is back", metadata: ["root": "\(root)"])
            }
        }
        let artwork = ArtworkCache(directory: configuration.artwork)
        let indexer = Indexer(library: library, artwork: artwork, logger: logger)
        let roots = configuration.music.map(RawPath.init)
        let analysis = configuration.analysis ? AnalysisService(library: library, logger: logger, publish: publish) : nil
        // The analysis hears what the scan lane changed (it queues the tracks that need it).
        let scans = ScanService(indexer: indexer, roots: roots, scanAtStart: !watch, logger: logger) { event in
            publish(event)
            analysis?.noticed(event)
        }
        let watcher = watch ? WatchService(roots: roots, scans: scans, logger: logger, options: watchOptions) : nil
        let similar = SimilarTracks(library: library)
        let radio = PlayerRadio(similar: similar, logger: logger, publish: publish)
        let player = Player(library: library,
                            configuration: PlayerConfiguration(output: configuration.output, replayGain: configuration.replayGain,
                                                               analysedGain: AnalysedGain.lookup(library)),
                            logger: logger) { event in
            publish(event)
            radio.noticed(event)
        }
        radio.attach(player)
        return DaemonContext(
            configuration: configuration, library: library, artwork: artwork, indexer: indexer, scans: scans, watcher: watcher,
            trash: Trash(home: Trash.homeTrash(environment: environment)),
            importer: Importer(indexer: indexer, root: roots[0], maxBytes: configuration.maxUploadBytes),
            player: player, scheduler: makeScheduler(library: library, player: player, environment: environment, publish: publish, logger: logger),
            analysis: analysis, similar: similar, radio: radio, publish: publish, logger: logger)
    }

    /// The scheduler on the real clock, or on the test-only clock file (`TestClock`): that clock
    /// moves when a test writes the file, which wakes nobody, so the scheduler then checks at
    /// least twice a second (`TestClock.recheck`); on the real clock it sleeps until it is due.
    private static func makeScheduler(library: Library, player: Player, environment: [String: String],
                                      publish: @escaping @Sendable (LibraryEvent) -> Void, logger: Logger) -> PlayerScheduler {
        var longestWait: TimeInterval = 3600
        if let path = environment[TestClock.variable], !path.isEmpty {
            logger.warning("the scheduler follows a test clock; this is for tests only", metadata: ["file": "\(path)"])
            longestWait = TestClock.recheck
        }
        return PlayerScheduler(library: library, player: player, logger: logger, now: TestClock.clock(environment: environment),
                               longestWait: longestWait, publish: publish)
    }

    private init(configuration: Configuration, library: Library, artwork: ArtworkCache, indexer: Indexer, scans: ScanService,
                 watcher: WatchService?, trash: Trash, importer: Importer, player: Player, scheduler: PlayerScheduler, analysis: AnalysisService?,
                 similar: SimilarTracks, radio: PlayerRadio, publish: @escaping @Sendable (LibraryEvent) -> Void, logger: Logger) {
        self.configuration = configuration
        self.library = library
        self.artwork = artwork
        self.indexer = indexer
        self.scans = scans
        self.watcher = watcher
        self.trash = trash
        self.importer = importer
        self.player = player
        self.scheduler = scheduler
        self.analysis = analysis
        self.similar = similar
        self.radio = radio
        self.publish = publish
        self.logger = logger
    }

    /// Moves every file of the track `uid` to the trash and removes the track from the library
    /// (`DELETE /api/tracks/{uid}`). User data keyed by the uid (edits, ratings, playlist
    /// entries) is kept: the track may come back (restored from the trash, or on another device).
    ///
    /// - Returns: the trashed files.
    /// - Throws: `IndexError.notFound` for an unknown uid; `IndexError.trash` when a file cannot
    ///   be trashed (the files trashed before it leave the library, the rest stay);
    ///   `IndexError.store` when the library fails.
    public func removeTrack(_ uid: TrackUID) async throws(IndexError) -> [Trash.Item] {
        let library = self.library, trash = self.trash, artwork = self.artwork, logger = self.logger
        let result: Result<[Trash.Item], IndexError> = await DedicatedThread.run(named: "omnisonic-trash", stackSize: ScanService.threadStackSize) {
            Result { () throws(IndexError) in
                let files = try IndexError.store { () throws(StoreError) in try library.files(ofTrack: uid) }
                guard !files.isEmpty else { throw IndexError(.notFound, message: "no track \(uid)") }
                var items: [Trash.Item] = []
                var batch = ScanBatch()
                var failure: IndexError?
                for file in files {
                    do throws(IndexError) {
                        items.append(try trash.trash(file.absolutePath))
                        batch.removed.append(file.id)
                    } catch {
                        // Already gone from disk: it only has to leave the library.
                        if access(file.absolutePath.displayString, F_OK) != 0 && errno == ENOENT {
                            batch.removed.append(file.id)
                            continue
                        }
                        failure = error
                        break
                    }
                }
                try IndexError.store { () throws(StoreError) in
                    try library.apply(batch)
                    artwork.remove(hashes: try library.finishScan().unusedArtwork)
                }
                if let failure { throw failure }
                logger.info("track moved to the trash", metadata: ["uid": "\(uid)", "files": "\(items.count)"])
                return items
            }
        }
        let items = try result.get()
        publish(.tracksRemoved(uids: [uid]))
        return items
    }

    /// Imports uploaded files into `<first music root>/Imported` and indexes them
    /// (`POST /api/import`). Never throws: each file has its outcome.
    public func importFiles(_ uploads: [Importer.Upload]) async -> [Importer.Outcome] {
        let importer = self.importer
        let outcomes = await DedicatedThread.run(named: "omnisonic-import", stackSize: ScanService.threadStackSize) { importer.importFiles(uploads) }
        let uids = outcomes.filter { !$0.alreadyInLibrary }.compactMap { try? $0.result.get().uid }
        if !uids.isEmpty { publish(.tracksChanged(uids: uids)) }
        return outcomes
    }
}

/// Why the daemon cannot start.
public struct DaemonError: ReasonedError {
    public enum Reason: String, ErrorReason {
        /// A folder or the library could not be opened.
        case cannotStart = "daemon.cannot_start"
        /// Another daemon holds the library folder's lock (`InstanceLock`).
        case alreadyRunning = "daemon.already_running"

        public var kind: ErrorKind {
            switch self {
            case .cannotStart: .unavailable
            case .alreadyRunning: .busy
            }
        }
    }

    public var reason: Reason
    public var message: String
    public var detail: String

    public init(_ reason: Reason, message: String, detail: String = "") {
        self.reason = reason
        self.message = message
        self.detail = detail
    }
}
