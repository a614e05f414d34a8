import Foundation
import Indexer
import LocalStore
import Logging
import OmniModel
import Player
import Synchronization

/// What the MPD front door needs from the daemon: the one library, the one player, and the
/// daemon's scan lane. Every part is safe from any thread.
public struct MPDEnvironment: Sendable {
    public var library: Library
    public var player: Player
    /// Where pictures are (`albumart`, `readpicture`).
    public var artwork: ArtworkCache
    /// The music folders in use, in order.
    public var musicRoots: @Sendable () -> [RawPath]
    /// Asks for a rescan (`update`); coalesced by the scan lane.
    public var requestScan: @Sendable () -> Void
    /// True while a scan runs (`updating_db`), and when the last one finished.
    public var scanState: @Sendable () -> (running: Bool, lastFinished: Date?)
    /// The password clients on a non-local address must give; nil: none.
    public var password: String?
    public var logger: Logger
    /// When the daemon started (`stats` uptime).
    public var startedAt: Date
    /// Tells the daemon's clients (web UI, sync, other MPD clients) about a change an MPD
    /// client made through the write path. Any thread; must not block.
    public var publish: @Sendable (LibraryEvent) -> Void

    public init(library: Library, player: Player, artwork: ArtworkCache, musicRoots: @escaping @Sendable () -> [RawPath],
                requestScan: @escaping @Sendable () -> Void, scanState: @escaping @Sendable () -> (running: Bool, lastFinished: Date?),
                password: String?, logger: Logger, startedAt: Date = Date(),
                publish: @escaping @Sendable (LibraryEvent) -> Void) {
        self.library = library
        self.player = player
        self.artwork = artwork
        self.musicRoots = musicRoots
        self.requestScan = requestScan
        self.scanState = scanState
        self.password = password
        self.logger = logger
        self.startedAt = startedAt
        self.publish = publish
    }
}

/// The MPD front door's shared state: the song index, the queue versions, the idle hub, and the
/// translation of the daemon's events into idle subsystems. One per daemon; connections share it.
public final class MPDFrontDoor: Sendable {
    public let environment: MPDEnvironment
    public let catalog: SongCatalog
    public let hub = IdleHub()
    public let versions = QueueVersions()
    /// The last player state an event was compared with.
    private let lastPlayer = Mutex<PlayerStatus?>(nil)
    /// Messages sent to channels (`sendmessage`), in memory.
    let channels = Mutex<[String: Set<ObjectIdentifier>]>([:])
    /// Messages waiting for each subscribed session (`readmessages`).
    let inbox = Mutex<[ObjectIdentifier: [(channel: String, text: String)]]>([:])
    /// A growing id for `update` answers (`updating_db: N`).
    let updateJob = Mutex(0)

    public init(environment: MPDEnvironment) {
        self.environment = environment
        self.catalog = SongCatalog(library: environment.library, musicRoots: environment.musicRoots)
        let status = environment.player.status()
        versions.observe(status.queue)
        lastPlayer.withLock { $0 = status }
    }

    var library: Library { environment.library }
    var player: Player { environment.player }

    /// Turns a daemon event into idle subsystems and wakes the clients. Any thread; never blocks
    /// for long (a player state read).
    public func handle(_ event: LibraryEvent) {
        var changes = Set<Subsystem>()
        switch event {
        case .scan(let phase, _, _, _):
            if phase != "idle" { changes.insert(.update) }
        case let .scanFinished(added, updated, moved, removed, _, _):
            changes.insert(.update)
            if added + updated + moved + removed > 0 {
                catalog.invalidate()
                changes.insert(.database)
            }
        case .tracksChanged:
            // Tag edits, ratings, favorites and play counts all arrive as this.
            catalog.invalidate()
            changes.formUnion([.database, .sticker])
        case .tracksRemoved:
            catalog.invalidate()
            changes.insert(.database)
        case .playlistChanged, .playlistDeleted:
            changes.insert(.storedPlaylist)
        case .player:
            // Versions are taken only when a client looks (`status`, `plchanges`): an edit made of
            // several player changes (a range move) is then one version, as with MPD.
            let now = player.status()
            let before = lastPlayer.withLock { last -> PlayerStatus? in
                let previous = last
                last = now
                return previous
            }
            if before?.queue.map(\.id) != now.queue.map(\.id) { changes.insert(.playlist) }
            if let before {
                if before.volume != now.volume { changes.insert(.mixer) }
                if before.repeatMode != now.repeatMode || before.shuffle != now.shuffle || before.consume != now.consume {
                    changes.insert(.options)
                }
                if before.output.device != now.output.device { changes.insert(.output) }
                if before.state != now.state || before.current?.id != now.current?.id || before.positionMs != now.positionMs
                    || before.error != now.error || changes.isEmpty {
                    changes.insert(.player)
                }
            } else {
                changes.insert(.player)
            }
        case .savedSearchesChanged, .schedulesChanged, .sync, .analysis, .radio, .favoritesChanged:
            // MPD 0.23 has stickers on songs only: no subsystem covers album or artist stars.
            break
        }
        hub.post(changes)
    }
}
