import Foundation
import LocalStore
import Logging
import OmniModel
@testable import Sync
import Synchronization
import Testing
import TestSupport

/// Events a service published, for assertions.
final class EventLog: Sendable {
    private let events = Mutex<[LibraryEvent]>([])
    func append(_ event: LibraryEvent) { events.withLock { $0.append(event) } }
    var all: [LibraryEvent] { events.withLock { $0 } }
}

struct Device {
    let library: Library
    let service: SyncService
    let events: EventLog
    let task: Task<Void, Never>

    static func start(_ library: Library, url: URL, token: String, longPollSeconds: Double = 25) -> Device {
        let events = EventLog()
        var logger = Logger(label: "sync-test")
        logger.logLevel = .critical
        let service = SyncService(library: library, client: SyncClient(baseURL: url, token: token), logger: logger,
                                  longPollSeconds: longPollSeconds, publish: events.append)
        return Device(library: library, service: service, events: events, task: Task { await service.run() })
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}

@Suite("Sync client service: push, pull, offline, state")
struct SyncServiceTests {
    @Test("Given two devices of a user, when one records changes, then the other merges them, announces them, and both report connected with nothing pending")
    func changesFlow() async throws {
        // Long polls of 10 minutes: an acknowledgement that waited for its poll to end would miss
        // the default deadline below by far, one that follows the push would not.
        let fixture = try await ServerFixture { $0.maxWaitSeconds = 600 }
        defer { Task { await fixture.stop() } }
        let folder = try TemporaryDirectory("sync-service")
        let a = Device.start(try Library(path: folder.appending("a.sqlite")), url: fixture.url, token: try await fixture.device("alice"),
                             longPollSeconds: 600)
        let b = Device.start(try Library(path: folder.appending("b.sqlite")), url: fixture.url, token: try await fixture.device("alice"),
                             longPollSeconds: 600)
        let id = try a.library.record(.createPlaylist(name: "Mix"))[0].target
        #expect(try await eventually { try b.library.playlist(id: id)?.name == "Mix" })
        #expect(await eventually { b.events.all.contains(.playlistChanged(id: id)) })
        #expect(await eventually { a.service.state().connected && a.service.state().pending == 0 })
        // With nothing unsent, each device acknowledges its cursor (tombstone collection). A pull
        // acknowledges only when nothing is pending; one that left while A's push was still in
        // flight gives way when the push lands, so the acknowledgement does not wait for its
        // long poll to end.
        #expect(try await eventually { try await fixture.storage.listDevices().allSatisfy { $0.seen >= 1 && $0.seenAt != nil } })
        #expect(b.events.all.contains { if case .sync(let state) = $0 { return state.connected } else { return false } })
        try b.library.record(.renamePlaylist(id: id, name: "Mix 2"))
        #expect(try await eventually { try a.library.playlist(id: id)?.name == "Mix 2" })

        // B restarts: its cursor was saved with what it merged, so nothing is merged twice and
        // later changes still arrive.
        await b.stop()
        let cursor = b.service.state().cursor
        #expect(cursor >= 1)
        try a.library.record(.renamePlaylist(id: id, name: "Mix 3"))
        let b2 = Device.start(b.library, url: fixture.url, token: try await fixture.device("alice"), longPollSeconds: 600)
        #expect(try await eventually { try b2.library.playlist(id: id)?.name == "Mix 3" })
        #expect(await eventually { b2.events.all.contains(.playlistChanged(id: id)) })
        #expect(b2.events.all.filter { $0 == .playlistChanged(id: id) }.count == 1) // the rename only, not the older changes again
        await a.stop()
        await b2.stop()
    }

    @Test("Given no server reachable, when the device records changes, then it reports disconnected with an error and the changes pending, and sends them once a server answers there")
    func offlineThenCatchUp() async throws {
        let folder = try TemporaryDirectory("sync-offline")
        // A port that was free a moment ago: nothing listens there yet.
        let probe = try await ServerFixture(folder: folder)
        let port = probe.port, token = try await probe.device("alice")
        await probe.stop()
        let device = Device.start(try Library(path: folder.appending("a.sqlite")), url: URL(string: "http://127.0.0.1:\(port)")!, token: token)
        for index in 0..<3 { try device.library.record(.createPlaylist(name: "Offline \(index)")) }
        #expect(await eventually { !device.service.state().connected && device.service.state().error != nil })
        #expect(await eventually { device.service.state().pending == 3 })

        let server = try await ServerFixture(folder: folder, port: port)
        defer { Task { await server.stop() } }
        #expect(await eventually { device.service.state().connected && device.service.state().pending == 0 })
        #expect(try await server.storage.totals().operations == 3)
        await device.stop()
    }

    @Test("Given a server accepting small pushes only, when a device has many changes pending, then it splits its batches and sends them all")
    func batchesShrinkWhenTooLarge() async throws {
        let fixture = try await ServerFixture { $0.maxBodyBytes = 8192 }
        defer { Task { await fixture.stop() } }
        let folder = try TemporaryDirectory("sync-split")
        let library = try Library(path: folder.appending("a.sqlite"))
        for index in 0..<150 { try library.record(.createPlaylist(name: "Playlist number \(index)")) }
        let device = Device.start(library, url: fixture.url, token: try await fixture.device("alice"))
        #expect(await eventually { device.service.state().pending == 0 && device.service.state().connected })
        #expect(try await fixture.storage.totals().operations == 150)
        await device.stop()
    }
}
