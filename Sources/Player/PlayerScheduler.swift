import Foundation
import LocalStore
import Logging
import OmniModel
import Synchronization

/// Plays a playlist or a saved search at a given time, even with no client connected (the daemon
/// itself plays). Schedules are kept in the library (`playerSchedule`), fire once, and are
/// removed when they fire; one that came due while the daemon was not running fires at start.
///
/// Concurrency: `list`, `add` and `cancel` may be called from any thread or task (library
/// writes, then the in-memory copy under a lock); `run()` is the one loop that fires them, run
/// by the daemon's `PlayerService`. The clock is passed in.
public final class PlayerScheduler: Sendable {
    private let library: Library
    private let player: Player
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let pending: Mutex<[PlayerSchedule]>

    /// Loads the saved schedules.
    public init(library: Library, player: Player, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.library = library
        self.player = player
        self.logger = logger
        self.now = now
        var saved: [PlayerSchedule] = []
        do { saved = try library.playerSchedules() } catch {
            logger.error("cannot read the player's schedule", metadata: ["detail": "\(error.expandedDescription)"])
        }
        pending = Mutex(saved)
    }

    /// The planned plays, soonest first.
    public func list() -> [PlayerSchedule] { pending.withLock { $0 } }

    /// Plans a play of a playlist or a saved search at `at` (seconds since 1970).
    ///
    /// - Throws: `PlayerError.trackMissing` when the playlist or saved search does not exist,
    ///   `.badRequest` when `source` is neither, `.store` when the library fails.
    public func add(at: Double, source: QueueSource) throws(PlayerError) -> PlayerSchedule {
        var schedule = PlayerSchedule(id: UUID().uuidString.lowercased(), at: at)
        switch source {
        case .playlist(let id): schedule.playlist = id
        case .savedSearch(let id): schedule.savedSearch = id
        default: throw PlayerError(.badRequest, message: "a schedule plays a playlist or a saved search")
        }
        _ = try player.tracks(of: source)  // exists?
        do { try library.addPlayerSchedule(schedule) } catch {
            throw PlayerError(error)
        }
        pending.withLock { list in
            list.append(schedule)
            list.sort { ($0.at, $0.id) < ($1.at, $1.id) }
        }
        return schedule
    }

    /// Cancels a planned play. Returns false when there is none with that id.
    ///
    /// - Throws: `PlayerError.store` when the library fails.
    public func cancel(id: String) throws(PlayerError) -> Bool {
        let removed: Bool
        do { removed = try library.removePlayerSchedule(id: id) } catch {
            throw PlayerError(error)
        }
        pending.withLock { $0.removeAll { $0.id == id } }
        return removed
    }

    /// Fires what is due now; returns the schedules fired.
    @discardableResult
    public func fireDue() -> [PlayerSchedule] {
        let time = now().timeIntervalSince1970
        let due = pending.withLock { list -> [PlayerSchedule] in
            let due = list.filter { $0.at <= time }
            list.removeAll { $0.at <= time }
            return due
        }
        for schedule in due {
            do throws(StoreError) { try library.removePlayerSchedule(id: schedule.id) } catch {
                logger.error("cannot remove a fired schedule", metadata: ["detail": "\(error.expandedDescription)"])
            }
            guard let source = schedule.source else { continue }
            do {
                _ = try player.perform(.enqueue(source, replace: true, index: nil, play: true))
                logger.info("scheduled play started", metadata: ["schedule": "\(schedule.id)"])
            } catch {
                logger.warning("a scheduled play could not start", metadata: ["schedule": "\(schedule.id)", "detail": "\(error.expandedDescription)"])
            }
        }
        return due
    }

    /// Fires schedules as they come due until the task is cancelled. Checks twice a second
    /// (a schedule added meanwhile is seen within half a second). Firing writes to the library
    /// and may enqueue a long playlist, so it runs on a thread of its own, never on the
    /// cooperative pool; the check before it only reads the in-memory list.
    public func run() async {
        while !Task.isCancelled {
            let time = now().timeIntervalSince1970
            if pending.withLock({ $0.contains { $0.at <= time } }) {
                _ = await DedicatedThread.run(named: "omnisonic-schedule") { [self] in fireDue() }
            }
            try? await Task.sleep(nanoseconds: 500_000_000)
        }
    }
}
