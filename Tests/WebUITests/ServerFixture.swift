import Foundation
import GRDB
import Indexer
import LibraryTestSupport
import LocalStore
import Logging
import OmniModel
import Player
import ServiceLifecycle
import Synchronization
import TestSupport
@testable import WebUI

/// A real library built from a make-corpus corpus, in a temporary folder, scanned.
final class LibraryFixture: TestLibrary, @unchecked Sendable {
    init(tracks: Int = 24) throws {
        try super.init("webui", tracks: tracks, scan: true)
    }

    /// One library for the tests that only read (scanning takes a moment).
    static let shared: Result<LibraryFixture, any Error> = Result { try LibraryFixture() }

    /// Every track, in the default listing order.
    func allTracks() throws -> [TrackRecord] {
        try library.search(SearchQuery(text: "", limit: 10_000)).tracks
    }

    var repositoryRoot: String { Corpus.repositoryRoot }
}

/// The scheduler's clock in tests: the real time until `set` (a time that stands still) or
/// `run(from:)` (a time that runs on in real time from this moment) is called.
final class SchedulerClock: Sendable {
    /// The time set, and since when it runs (nil: it stands still).
    private let time = Mutex<(date: Date, since: Date?)?>(nil)
    func set(_ date: Date?) { time.withLock { $0 = date.map { ($0, nil) } } }
    func run(from date: Date) { time.withLock { $0 = (date, Date()) } }
    var now: Date {
        time.withLock { time in
            guard let time else { return Date() }
            return time.since.map { time.date.addingTimeInterval(Date().timeIntervalSince($0)) } ?? time.date
        }
    }
}

/// Daemon actions that record what they were asked and do the minimum a test needs.
final class TestActions: DaemonActions {
    struct State {
        var scans = 0
        var trashed: [TrackUID] = []
        var imported: [UploadedFile] = []
    }
    let state = Mutex(State())
    let fixture: LibraryFixture
    let events: EventHub
    /// The real player, for the player routes (nil: "no player", 404).
    let realPlayer: Player?
    /// The real radio over `realPlayer` (nil: "no radio").
    let radio: PlayerRadio?

    init(fixture: LibraryFixture, events: EventHub, player: Player? = nil, radio: PlayerRadio? = nil) {
        self.fixture = fixture
        self.events = events
        self.realPlayer = player
        self.radio = radio
        let clock = SchedulerClock()
        self.clock = clock
        self.scheduler = player.map {
            PlayerScheduler(library: fixture.library, player: $0, logger: Logger(label: "test"), now: { clock.now })
        }
    }

    func playerStatus() async -> PlayerStatus? { realPlayer?.status() }

    func playerOutputs() async -> OutputList? { await realPlayer?.outputs() }

    func radioState() async -> RadioState? { radio?.status() }

    func startRadio(seed: TrackUID, replace: Bool) async throws -> RadioState {
        guard let radio else { throw APIError.notFound("the radio") }
        return try await RawHTTP.onThread { try radio.start(seed: seed, replace: replace) }
    }

    func stopRadio() async throws -> RadioState {
        guard let radio else { throw APIError.notFound("the radio") }
        return try await RawHTTP.onThread { radio.stop() }
    }

    func player(_ command: PlayerCommand) async throws -> PlayerStatus {
        guard let realPlayer else { throw APIError.notFound("the player") }
        return try realPlayer.perform(command)
    }

    /// The scheduler over `realPlayer` (created with it).
    let scheduler: PlayerScheduler?

    /// The scheduler's clock: the real one until a test sets a time.
    let clock: SchedulerClock

    func schedules() async throws -> [ScheduleSummary] {
        guard let scheduler else { throw APIError.notFound("the scheduler") }
        return try scheduler.list()
    }

    func saveSchedule(id: String?, _ definition: ScheduleDefinition) async throws -> String {
        guard let scheduler else { throw APIError.notFound("the scheduler") }
        return try scheduler.save(id: id, definition)
    }

    func deleteSchedule(id: String) async throws {
        guard let scheduler else { throw APIError.notFound("the scheduler") }
        try scheduler.delete(id: id)
    }

    var uploadDirectory: String { fixture.music + "/.omnisonic-upload" }

    func scanStatus() async -> ScanStatus {
        ScanStatus(running: false, phase: "idle", done: 0, total: 0, rate: 0)
    }

    func startScan() async -> ScanStatus {
        state.withLock { $0.scans += 1 }
        return ScanStatus(running: true, phase: "walking", done: 0, total: 0, rate: 0)
    }

    func trash(uid: TrackUID) async throws -> Bool {
        state.withLock { $0.trashed.append(uid) }
        await events.publish(.tracksRemoved(uids: [uid]))
        return true
    }

    /// Moves the files into `Imported/` and rescans, like the daemon will.
    func importFiles(_ files: [UploadedFile]) async throws -> ImportResult {
        state.withLock { $0.imported += files }
        let folder = fixture.music + "/Imported"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files { rename(file.temporaryPath, folder + "/" + file.fileName) }
        try fixture.scan()
        let uids = try await fixture.library.writer.read { db in
            try files.compactMap { file in
                try String.fetchOne(db, sql: "SELECT track.uid FROM file JOIN track ON track.id = file.trackId WHERE file.relPath = ?",
                                    arguments: [Data(("Imported/" + file.fileName).utf8)])
            }
        }
        return ImportResult(uids: uids.map(TrackUID.init(rawValue:)))
    }
}

/// A running `APIServer` on 127.0.0.1 and an ephemeral port.
final class RunningServer: Sendable {
    let server: APIServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let actions: TestActions
    let events: EventHub
    var http: RawHTTP { RawHTTP(port: port) }

    static func start(_ fixture: LibraryFixture, token: String? = nil, webDirectory: String? = nil,
                      maxBodyBytes: Int = 1 << 20, maxUploadBytes: Int = 64 << 20, events: EventHub = EventHub(),
                      player: Player? = nil, radio: PlayerRadio? = nil,
                      configure: (inout APIServerConfiguration) -> Void = { _ in }) async throws -> RunningServer {
        let actions = TestActions(fixture: fixture, events: events, player: player, radio: radio)
        var logger = Logger(label: "webui-test")
        logger.logLevel = .critical
        var configuration = APIServerConfiguration(
            host: "127.0.0.1", port: 0, library: fixture.library, artwork: fixture.artwork,
            musicRoots: [RawPath(fixture.music)], webDirectory: webDirectory,
            openAPIPath: fixture.repositoryRoot + "/docs/api/openapi.json", accessToken: token,
            maxBodyBytes: maxBodyBytes, maxUploadBytes: maxUploadBytes, events: events, actions: actions,
            heartbeat: .milliseconds(200), logger: logger)
        configure(&configuration)
        let server = try APIServer(configuration: configuration)
        // Run as the daemon will: a service in a ServiceGroup, stopped by graceful shutdown.
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let task = Task { try await group.run() }
        let port = await server.address.waitForPort()
        return RunningServer(server: server, group: group, task: task, port: port, actions: actions, events: events)
    }

    private init(server: APIServer, group: ServiceGroup, task: Task<Void, any Error>, port: Int, actions: TestActions, events: EventHub) {
        self.server = server
        self.group = group
        self.task = task
        self.port = port
        self.actions = actions
        self.events = events
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
