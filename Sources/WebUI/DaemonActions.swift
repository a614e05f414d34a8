import Foundation
import Indexer
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

    /// The background analysis' progress (`GET /api/analysis`; cheap). Defaults to disabled.
    func analysisStatus() async -> AnalysisStatus

    /// Queues the track `uid` for analysis again ("Analyse again"; `POST /api/tracks/{uid}/analysis`).
    ///
    /// - Returns: false when the library has no such track.
    /// - Throws: `APIError` 409 when analysis is switched off; any `OmniError` when the library fails.
    func analyseAgain(uid: TrackUID) async throws -> Bool

    /// The server player's radio (`GET /api/player/radio`, the `radio` of `GET /api/player`);
    /// nil when this daemon runs no radio (shown as inactive).
    func radioState() async -> RadioState?

    /// Starts the radio from `seed` (decision 0035): with `replace`, the queue becomes the seed
    /// and its first similar tracks, playing from the seed; without, they are appended. The
    /// HTTP layer has checked that the seed exists and has a vector.
    ///
    /// - Throws: any `OmniError` (a missing track is 404).
    func startRadio(seed: TrackUID, replace: Bool) async throws -> RadioState

    /// Stops the radio (the queue is kept) and returns its state.
    func stopRadio() async throws -> RadioState
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

    /// No analysis.
    public func analysisStatus() async -> AnalysisStatus { .disabled }

    /// No analysis: 409.
    public func analyseAgain(uid: TrackUID) async throws -> Bool { throw APIError.analysisOff }

    /// No radio.
    public func radioState() async -> RadioState? { nil }

    /// No radio: 404.
    public func startRadio(seed: TrackUID, replace: Bool) async throws -> RadioState { throw APIError.notFound("the radio") }

    /// No radio: 404.
    public func stopRadio() async throws -> RadioState { throw APIError.notFound("the radio") }

    /// A daemon without sync (tests, or no `--sync-url`) reports it disabled.
    public func syncStatus() async -> SyncState { .disabled }
}

/// Tracks that are the same recording (`DaemonActions.duplicateGroups`).
public struct DuplicateGroup: Sendable, Equatable, Codable {
    /// The tracks, best copy first.
    public var uids: [TrackUID]
    /// How they were found to be one ("same fingerprint", ...).
    public var reason: String
    /// The tracks as the library has them (`GET /api/duplicates`), in `uids`' order; empty
    /// where only the uids are wanted.
    public var tracks: [DuplicateTrack]
    /// What differs between them: any of "format", "bitrate", "duration", "tags".
    public var differences: [String]

    public init(uids: [TrackUID], reason: String, tracks: [DuplicateTrack] = [], differences: [String] = []) {
        self.uids = uids
        self.reason = reason
        self.tracks = tracks
        self.differences = differences
    }
}

/// One copy in a `DuplicateGroup`: what a user compares to choose the one to keep.
public struct DuplicateTrack: Sendable, Equatable, Codable {
    public var uid: TrackUID
    public var title: String
    public var artist: String?
    public var album: String?
    public var codec: String
    public var container: String
    /// Bits per second (nil when unknown).
    public var bitrate: Int?
    public var durationMs: Int?
    public var sampleRate: Int?
    public var bitsPerSample: Int?
    /// The track's first file.
    public var path: String?
    /// How alike its fingerprint is to the group's first track (0...1; 1 for the first).
    public var similarity: Double

    public init(uid: TrackUID, title: String, artist: String?, album: String?, codec: String, container: String, bitrate: Int?,
                durationMs: Int?, sampleRate: Int?, bitsPerSample: Int?, path: String?, similarity: Double) {
        self.uid = uid
        self.title = title
        self.artist = artist
        self.album = album
        self.codec = codec
        self.container = container
        self.bitrate = bitrate
        self.durationMs = durationMs
        self.sampleRate = sampleRate
        self.bitsPerSample = bitsPerSample
        self.path = path
        self.similarity = similarity
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
