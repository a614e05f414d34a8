import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport
@testable import Daemon
import Indexer
import LocalStore
import OmniModel

/// Collects published events (from any thread).
final class EventLog: Sendable {
    private let events = Mutex<[LibraryEvent]>([])
    func append(_ event: LibraryEvent) { events.withLock { $0.append(event) } }
    var all: [LibraryEvent] { events.withLock { $0 } }
    var finished: Int { all.filter { if case .scanFinished = $0 { true } else { false } }.count }
}

/// A daemon context over a private copy of the corpus.
final class DaemonFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let music: String
    let context: DaemonContext
    let events = EventLog()
    let corpus: Corpus

    init(tracks: Int = 120) throws {
        corpus = try Corpus.shared(tracks: tracks)
        dir = try TemporaryDirectory("daemon")
        music = dir.appending("Music")
        try corpus.copy(to: music)
        let configuration = Configuration(music: [music], data: dir.appending("data"), cache: dir.appending("data/cache"))
        let events = self.events
        context = try DaemonContext.open(configuration, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                                         environment: ["XDG_DATA_HOME": dir.appending("xdg")], watch: false) { events.append($0) }
    }

    /// Waits until `condition` holds (scans run on their own threads); throws after
    /// `eventuallyTimeout` seconds.
    func wait(_ condition: () -> Bool) async throws {
        let held = await eventually { condition() }
        if !held { throw CancellationError() }
    }
}

@Suite("Scan service and daemon context")
struct ScanServiceTests {
    @Test("the service scans at start, publishes progress and the finish, and reports its status")
    func scansAtStart() async throws {
        let f = try DaemonFixture()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await f.context.scans.run() }
            try await f.wait { f.events.finished == 1 }
            let status = f.context.scans.status()
            #expect(!status.running)
            #expect(status.phase == "idle")
            #expect(status.lastSummary?.added == f.corpus.visibleTracks.count)
            #expect(status.lastSummary?.failed == 3)
            #expect(status.lastError == nil)
            #expect(f.events.all.contains { if case .scan(phase: "probing", _, _, _) = $0 { true } else { false } })
            #expect(try f.context.library.trackCount() > 100)
            group.cancelAll()
        }
    }

    @Test("requests while a scan runs coalesce into exactly one more scan")
    func coalescing() async throws {
        let f = try DaemonFixture()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await f.context.scans.run() }
            try await f.wait { f.context.scans.status().running }
            let outcomes = (0..<5).map { _ in f.context.scans.requestScan() }
            #expect(outcomes.allSatisfy { $0 == .queued })
            #expect(f.context.scans.status().queued)
            try await f.wait { f.events.finished == 2 && !f.context.scans.status().running }
            try await Task.sleep(for: .milliseconds(300))
            #expect(f.events.finished == 2)  // not 6
            #expect(f.context.scans.status().lastSummary?.added == 0)
            #expect(f.context.scans.requestScan() == .started)
            try await f.wait { f.events.finished == 3 }
            group.cancelAll()
        }
    }

    @Test("graceful shutdown during a scan stops it after the current batch and run() returns")
    func gracefulShutdown() async throws {
        let f = try DaemonFixture(tracks: 300)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [f.context.scans], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
        let clock = ContinuousClock()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await f.wait { f.context.scans.status().running }
            let start = clock.now
            await group.triggerGracefulShutdown()
            try await tasks.next()
            // A hang detector, not a benchmark: the 5 s promised to systemd is checked on the real
            // binary (CLITests); here other tests share the 2 cores and slow the probe threads
            // (15.6 s was seen once with the whole suite at load 8; a hang never ends).
            #expect(clock.now - start < .seconds(60))
        }
        #expect(!f.context.scans.status().running)
        #expect(f.context.scans.requestScan() == .refused)
        // Whatever was written is consistent: a new scan completes the library.
        let status = f.context.scans.status()
        // Cancelled, unless the scan won the race and finished first.
        #expect(status.lastError?.code == "index.cancelled" || status.lastSummary != nil)
        _ = try f.context.indexer.scan(roots: [RawPath(f.music)])
        let third = try f.context.indexer.scan(roots: [RawPath(f.music)])
        #expect(third.added == 0 && third.updated == 0 && third.removed == 0)
    }

    @Test("removing a track moves its file to the trash, drops it from the library and publishes it")
    func removeTrack() async throws {
        let f = try DaemonFixture()
        _ = try f.context.indexer.scan(roots: [RawPath(f.music)])
        let before = try f.context.library.trackCount()
        let track = try #require(try f.context.library.search(SearchQuery(text: "", limit: 1)).tracks.first)
        _ = try f.context.library.record(.favorite(track.uid, true))
        _ = try f.context.library.record(.rate(track.uid, 4))

        let items = try await f.context.removeTrack(track.uid)

        #expect(items.count == 1)
        #expect(!FileManager.default.fileExists(atPath: f.music + "/" + track.path))
        #expect(items[0].trash == f.dir.appending("xdg/Trash"))
        #expect(FileManager.default.fileExists(atPath: items[0].file.displayString))
        #expect(try f.context.library.track(uid: track.uid) == nil)
        #expect(try f.context.library.trackCount() == before - 1)
        #expect(f.events.all.contains(.tracksRemoved(uids: [track.uid])))
        // User data is keyed by uid and outlives the file: restoring it brings it back.
        #expect(try f.context.library.userState(uid: track.uid).favorite)
        #expect(try f.context.library.userState(uid: track.uid).rating == 4)
        let again = await #expect(throws: IndexError.self) { try await f.context.removeTrack(track.uid) }
        #expect(again?.code == "index.not_found")
        // The next scan agrees: nothing to remove.
        #expect(try f.context.indexer.scan(roots: [RawPath(f.music)]).removed == 0)
    }
}
