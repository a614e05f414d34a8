import Foundation
import OmniModel

/// What the HTTP layer asks of the daemon: work that is long, blocking or owns state outside
/// the library database. The daemon (`omnisonicd run`) provides the implementation, so WebUI
/// does not depend on it; tests provide their own.
///
/// Every method is called from a request's task (the cooperative pool): an implementation must
/// not block it — hand long work to the scan service or a dedicated thread and await it.
public protocol DaemonActions: Sendable {
    /// The current scan state (cheap; called by `GET /api/scan`).
    func scanStatus() async -> ScanStatus

    /// Starts a rescan of every music root unless one is running; returns at once with the
    /// state after the request (`running == true`).
    func startScan() async -> ScanStatus

    /// Moves the files of track `uid` to the XDG trash and removes the track from the library
    /// (playlist entries that refer to it are kept).
    ///
    /// - Returns: false when the library has no such track.
    /// - Throws: any `OmniError` when the file cannot be trashed (reported as its code).
    func trash(uid: TrackUID) async throws -> Bool

    /// Imports uploaded files. Each file has already been streamed to `temporaryPath` (on the
    /// same filesystem as the first music root, so a rename moves it) and its `fileName` has
    /// been sanitised (no `/`, no leading `.`, not empty, ≤ 255 bytes) and has an audio
    /// extension. The daemon moves each into its import folder (renaming on collision), indexes
    /// them and returns the imported tracks' uids in upload order; temporary files it did not
    /// move are deleted by WebUI afterwards.
    ///
    /// - Throws: any `OmniError` when the import fails as a whole.
    func importFiles(_ files: [UploadedFile]) async throws -> ImportResult

    /// The folder uploads are streamed into before `importFiles` (created if missing; must be
    /// on the same filesystem as the import destination). Typically `<first root>/.omnisonic-upload`.
    var uploadDirectory: String { get }

    /// The sync client's state (`GET /api/sync`; cheap). Defaults to disabled (Handlers+Sync.swift).
    func syncStatus() async -> SyncState
    /// The daemon's version, start time and pid (`GET /api/status`, `/metrics`); nil when
    /// unknown (the default, for tests' implementations).
    func daemonInfo() async -> DaemonInfo?

    /// The player's state (`GET /api/player`); nil when this daemon runs no player.
    func playerStatus() async -> PlayerStatus?

    /// Applies a player command and returns the state after it. Must not wait for audio.
    ///
    /// - Throws: any `OmniError`; its `kind` decides the status (`APIError.status(for:)`):
    ///   a missing track or queue entry is 404, a wrong argument 400.
    func player(_ command: PlayerCommand) async throws -> PlayerStatus

    /// The user's schedules with their next times, soonest first (`GET /api/schedules`).
    ///
    /// - Throws: any `OmniError` (`store.*` when the library fails).
    func schedules() async throws -> [ScheduleSummary]

    /// Creates (`id` nil) or replaces a schedule through the one write path: the daemon's
    /// scheduler fills in an empty time zone (its own) and device (this one) and sets `since`
    /// from its clock. Returns the schedule's id.
    ///
    /// - Throws: `store.invalid` (a bad definition, an unknown zone), `store.not_found` (no such
    ///   schedule, playlist, saved search or album).
    func saveSchedule(id: String?, _ definition: ScheduleDefinition) async throws -> String

    /// Deletes a schedule (`store.not_found` when there is none).
    func deleteSchedule(id: String) async throws

    /// Groups of tracks the analysis found to be the same recording, for the statistics'
    /// health section; nil while no analysis has looked for them. The hook the analysis
    /// service fills in (decision 0028); the default says "not available", never an empty guess.
    func duplicateGroups() async -> [DuplicateGroup]?

    /// The output devices the player can choose (`GET /api/player/outputs`); nil when this
    /// daemon runs no player.
    func playerOutputs() async -> OutputList?
}

extension DaemonActions {
    public func daemonInfo() async -> DaemonInfo? { nil }

    /// No player: `GET /api/player` answers 404.
    public func playerStatus() async -> PlayerStatus? { nil }

    /// No player.
    public func player(_ command: PlayerCommand) async throws -> PlayerStatus {
        throw APIError.notFound("the player")
    }

    /// No player, so no scheduler: `GET /api/schedules` answers 404.
    public func schedules() async throws -> [ScheduleSummary] { throw APIError.notFound("the scheduler") }

    public func saveSchedule(id: String?, _ definition: ScheduleDefinition) async throws -> String {
        throw APIError.notFound("the scheduler")
    }

    public func deleteSchedule(id: String) async throws { throw APIError.notFound("the scheduler") }

    /// No analysis: duplicates are "not available".
    public func duplicateGroups() async -> [DuplicateGroup]? { nil }

    /// No player: `GET /api/player/outputs` answers 404.
    public func playerOutputs() async -> OutputList? { nil }

    /// A daemon without sync (tests, or no `--sync-url`) reports it disabled.
    public func syncStatus() async -> SyncState { .disabled }
}

/// A scan's state as `GET /api/scan` reports it.
public struct ScanStatus: Sendable, Equatable, Codable {
    /// True while a scan runs.
    public var running: Bool
    /// "walking", "probing", "finishing" or "idle".
    public var phase: String
    /// Files done and to do in the current (or last) scan.
    public var done: Int
    public var total: Int
    /// Files per second.
    public var rate: Double
    /// When the last scan finished (seconds since 1970), if any.
    public var lastFinishedAt: Double?
    /// How each music folder is followed live (empty when the daemon does not watch).
    public var watching: [WatchedFolder]
    /// Changes from the watchers applied since the daemon started.
    public var changesApplied: Int
    /// When the last of them was applied (seconds since 1970), if any.
    public var lastChangeAt: Double?

    public init(running: Bool, phase: String, done: Int, total: Int, rate: Double, lastFinishedAt: Double? = nil,
                watching: [WatchedFolder] = [], changesApplied: Int = 0, lastChangeAt: Double? = nil) {
        self.running = running
        self.phase = phase
        self.done = done
        self.total = total
        self.rate = rate
        self.lastFinishedAt = lastFinishedAt
        self.watching = watching
        self.changesApplied = changesApplied
        self.lastChangeAt = lastChangeAt
    }
}

/// How one music folder is followed (`ScanStatus.watching`).
public struct WatchedFolder: Sendable, Equatable, Codable {
    /// The music folder.
    public var path: String
    /// "starting", "watching", "partial" (some folders rescanned periodically instead),
    /// "polling" (no inotify: rescanned periodically), "offline" (missing) or "stopped".
    public var mode: String
    /// Folders watched with inotify.
    public var watchedFolders: Int
    /// What is wrong, in plain words, when something is.
    public var problem: String?

    public init(path: String, mode: String, watchedFolders: Int, problem: String? = nil) {
        self.path = path
        self.mode = mode
        self.watchedFolders = watchedFolders
        self.problem = problem
    }
}

/// Tracks that are the same recording (`DaemonActions.duplicateGroups`).
public struct DuplicateGroup: Sendable, Equatable, Codable {
    /// The tracks, best copy first.
    public var uids: [TrackUID]
    /// How they were found to be one ("same fingerprint", ...).
    public var reason: String

    public init(uids: [TrackUID], reason: String) {
        self.uids = uids
        self.reason = reason
    }
}

/// One uploaded file waiting to be imported.
public struct UploadedFile: Sendable, Equatable {
    /// The sanitised file name the client gave (last path component only).
    public var fileName: String
    /// Where WebUI streamed the bytes.
    public var temporaryPath: String
    /// The size in bytes.
    public var byteCount: Int

    public init(fileName: String, temporaryPath: String, byteCount: Int) {
        self.fileName = fileName
        self.temporaryPath = temporaryPath
        self.byteCount = byteCount
    }
}

/// What `importFiles` did.
public struct ImportResult: Sendable, Equatable {
    /// The imported tracks, in upload order.
    public var uids: [TrackUID]
    /// Files that were not imported, with the reason (name → message).
    public var rejected: [String: String]
    /// Files whose recording the library already had (name → its track): nothing was copied.
    public var existing: [String: TrackUID]

    public init(uids: [TrackUID], rejected: [String: String] = [:], existing: [String: TrackUID] = [:]) {
        self.uids = uids
        self.rejected = rejected
        self.existing = existing
    }
}
