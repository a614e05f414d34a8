import Foundation
import GRDB
import LocalStore
import OmniModel
@testable import Sync
import Testing
import TestSupport

/// Random operations of three devices about a few tracks, playlists, items and favorites, with
/// conflicts (equal times, same registers), removals, moves before adds, and invalid operations.
func randomHistory(_ count: Int, seed: UInt64) -> [UserOperation] {
    var rng = SplitMix(seed: seed)
    var ops: [UserOperation] = []
    var added = Set<Int>(), favorites: [Int] = []
    var wall: Int64 = 1_760_000_000_000
    let keys = ["a0", "a1", "a1V", "a2", "Zz", "a0V"]
    for index in 0..<count {
        wall += Int64.random(in: 0...2, using: &rng)
        let device = "d\(index % 3)"
        // Equal wall times across devices (ties broken by the device), never two operations with
        // one timestamp on a device (an HLC cannot make them; the log would keep only one).
        let hlc = HLCTimestamp(wallMs: wall, counter: UInt32(index / 3), device: device)
        let uid = "u\(Int.random(in: 0..<6, using: &rng))"
        let item = Int.random(in: 0..<400, using: &rng)
        let playlist = "p\(item % 3)"
        var op: UserOperation
        switch Int.random(in: 0..<15, using: &rng) {
        case 0: op = UserOperation(hlc: hlc, target: uid, payload: .trackOverride(field: .title, value: Bool.random(using: &rng) ? .text("T\(Int.random(in: 0..<9, using: &rng))") : nil))
        case 1: op = UserOperation(hlc: hlc, target: uid, payload: .rating(Int.random(in: 0...7, using: &rng))) // 6, 7: invalid
        case 2: op = UserOperation(hlc: hlc, target: uid, payload: .played(count: Int.random(in: 1...9, using: &rng), lastPlayedMs: Int64.random(in: 0...99, using: &rng)))
        case 3: op = UserOperation(hlc: hlc, target: playlist, payload: .playlistCreate(name: "N\(Int.random(in: 0..<9, using: &rng))"))
        case 4: op = UserOperation(hlc: hlc, target: playlist, payload: .playlistRename(name: "R\(Int.random(in: 0..<9, using: &rng))"))
        case 5: op = UserOperation(hlc: hlc, target: playlist, payload: .playlistDelete)
        case 6, 7:
            added.insert(item)
            op = UserOperation(hlc: hlc, target: playlist, payload: .playlistItemAdd(itemId: "i\(item)", uid: TrackUID(rawValue: uid), position: keys.randomElement(using: &rng)!))
        case 8: op = UserOperation(hlc: hlc, target: playlist, payload: .playlistItemMove(itemId: "i\(item)", position: keys.randomElement(using: &rng)!))
        case 9: op = UserOperation(hlc: hlc, target: playlist, payload: .playlistItemRemove(itemId: "i\(added.randomElement(using: &rng) ?? item)"))
        case 10:
            let id = Int.random(in: 0..<1000, using: &rng)
            favorites.append(id)
            op = UserOperation(hlc: hlc, target: "u\(id % 6)", payload: .favoriteAdd(itemId: "f\(id)"))
        case 11:
            let some = favorites.filter { _ in Bool.random(using: &rng) }
            op = UserOperation(hlc: hlc, target: uid, payload: .favoriteRemove(itemIds: some.map { "f\($0)" }))
        case 12: op = UserOperation(hlc: hlc, target: "s\(item % 2)", payload: .searchSave(SavedSearchDefinition(name: "S\(item)", query: "q\(item)")))
        case 13: op = UserOperation(hlc: hlc, target: uid, payload: .sticker(name: "k\(item % 2)", value: Bool.random(using: &rng) ? "v\(item)" : nil))
        default: op = UserOperation(hlc: hlc, target: "s\(item % 2)", payload: .searchDelete)
        }
        // Schedules, their runs and the play history (decision 0028), one operation in five.
        if Int.random(in: 0..<5, using: &rng) == 0 {
            let schedule = "c\(item % 3)"
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                op = UserOperation(hlc: hlc, target: schedule, payload: .scheduleSave(ScheduleDefinition(
                    name: "S\(item)", sourceKind: .playlist, sourceId: playlist, time: "07:0\(item % 10)", repeats: .daily,
                    timeZone: "Europe/Berlin", paused: item % 2 == 0, device: device)))
            case 1: op = UserOperation(hlc: hlc, target: schedule, payload: .scheduleDelete)
            case 2:
                op = UserOperation(hlc: hlc, target: schedule, payload: .scheduleRun(ScheduleRunRecord(
                    plannedMs: Int64(item % 4), handledMs: wall, outcome: item % 2 == 0 ? .played : .missed)))
            default:
                op = UserOperation(hlc: hlc, target: "l\(ops.count)", payload: .listen(PlayListen(
                    uid: TrackUID(rawValue: uid), playedMs: wall, durationMs: 1000, client: "web", title: "T\(item % 7)")))
            }
        }
        // Stars on albums and artists (LWW per key, decision 0026), one operation in ten.
        if Int.random(in: 0..<10, using: &rng) == 0 {
            let on = Bool.random(using: &rng)
            op = UserOperation(hlc: hlc, target: "k\(item % 4)", payload: item % 2 == 0 ? .albumFavorite(on) : .artistFavorite(on))
        }
        ops.append(op)
    }
    return ops
}

/// The materialized user-data tables (not the op log, which is history), canonical order.
func state(_ library: Library) throws -> [String] {
    try library.writer.read { db in
        var lines: [String] = []
        for (label, sql) in [
            ("override", "SELECT uid, field, value, stamp FROM trackOverride ORDER BY uid, field"),
            ("favorite", "SELECT itemId, uid, stamp FROM favoriteItem ORDER BY itemId"),
            ("favoriteTomb", "SELECT itemId, stamp FROM favoriteTombstone ORDER BY itemId"),
            ("rating", "SELECT uid, value, stamp FROM trackRating ORDER BY uid"),
            ("play", "SELECT uid, device, count, lastPlayed FROM trackPlay ORDER BY uid, device"),
            ("playlist", "SELECT id, name, nameStamp, editStamp, deleteStamp FROM playlist ORDER BY id"),
            ("item", "SELECT itemId, playlistId, uid, position, positionStamp, addStamp FROM playlistItem WHERE addStamp IS NOT NULL ORDER BY itemId"),
            ("itemTomb", "SELECT itemId, stamp FROM playlistItemTombstone ORDER BY itemId"),
            ("search", "SELECT id, name, query, deleted, stamp FROM savedSearch ORDER BY id"),
            ("sticker", "SELECT uid, name, value, stamp FROM trackSticker ORDER BY uid, name"),
            ("schedule", "SELECT id, definition, deleted, stamp FROM schedule ORDER BY id"),
            ("run", "SELECT scheduleId, plannedMs, device, outcome, stamp FROM scheduleRun ORDER BY scheduleId, plannedMs, device"),
            ("listen", "SELECT id, uid, playedMs, device, client, title FROM playHistory ORDER BY id"),
            ("albumStar", "SELECT albumKey, favorite, stamp FROM albumFavorite ORDER BY albumKey"),
            ("artistStar", "SELECT nameKey, favorite, stamp FROM artistFavorite ORDER BY nameKey"),
        ] {
            for row in try Row.fetchAll(db, sql: sql) {
                lines.append(label + ": " + row.databaseValues.map(\.description).joined(separator: " | "))
            }
        }
        return lines
    }
}

/// Pulls everything after `cursor` into `library`.
func catchUp(_ library: Library, _ client: SyncClient, from cursor: Int64) async throws {
    var cursor = cursor
    while true {
        let page = try await client.pull(after: cursor, limit: 500)
        _ = try library.applyPulled(page.ops, cursor: page.cursor)
        cursor = page.cursor
        if !page.more { break }
    }
}

@Suite("Sync server: compaction (snapshot + tail)")
struct CompactionTests {
    @Test("Given a random history with conflicts, removals and invalid operations, when the server compacts it, then a new device and a device whose cursor was inside the compacted part reach the state of a device that applied everything",
          arguments: Backend.allCases, [UInt64(3), 11, 2026])
    func compactedStreamGivesTheSameState(backend: Backend, seed: UInt64) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let folder = try TemporaryDirectory("compaction")
        let client = fixture.client(try await fixture.device("alice"))
        let history = randomHistory(3000, seed: seed)

        // Reference: everything, shuffled, with duplicates.
        let reference = try Library(path: folder.appending("reference.sqlite"))
        var rng = SplitMix(seed: seed)
        try reference.apply(remote: (history + history.prefix(300)).shuffled(using: &rng))

        let answer = try await pushHistory(history, to: fixture)
        #expect(answer.rejected + answer.accepted + answer.duplicates == history.count)
        // A device that pulled the first part before compaction.
        let early = try Library(path: folder.appending("early.sqlite"))
        let firstPage = try await client.pull(after: 0, limit: 900)
        _ = try early.applyPulled(firstPage.ops, cursor: firstPage.cursor)

        let head = try await client.pull(after: 0, limit: 1).head
        let result = try await fixture.storage.compact(userID: 1, through: head - 200) // snapshot + a 200-operation tail
        #expect(result.removed > result.kept / 2) // it compacts something real

        let fresh = try Library(path: folder.appending("fresh.sqlite"))
        try await catchUp(fresh, client, from: 0)
        try await catchUp(early, client, from: firstPage.cursor)

        let expected = try state(reference)
        #expect(expected.contains { $0.hasPrefix("item:") } && expected.contains { $0.hasPrefix("itemTomb:") })
        let freshState = try state(fresh), earlyState = try state(early)
        let freshDiff = Set(freshState).symmetricDifference(expected).sorted(), earlyDiff = Set(earlyState).symmetricDifference(expected).sorted()
        #expect(freshDiff.isEmpty && freshState.count == expected.count, "\(freshDiff.prefix(6))")
        #expect(earlyDiff.isEmpty && earlyState.count == expected.count)
    }
}

/// Pushes a history made on several devices in chunks of `chunk`, each device's operations with
/// a token of its own (a token writes under one library device id, decision 0017); the pushing
/// tokens are revoked afterwards (devices gone), so only the test's own devices hold tombstones.
func pushHistory(_ history: [UserOperation], to fixture: ServerFixture, chunk: Int = 700) async throws -> PushResponse {
    var clients: [String: SyncClient] = [:]
    for device in Set(history.map(\.device)).sorted() { clients[device] = fixture.client(try await fixture.device("alice")) }
    var total = PushResponse(accepted: 0, duplicates: 0, head: 0)
    var pushed = 0
    while pushed < history.count {
        let part = history[pushed..<min(pushed + chunk, history.count)]
        for device in Set(part.map(\.device)).sorted() {
            let answer = try await clients[device]!.push(part.filter { $0.device == device }, device: device)
            total.accepted += answer.accepted
            total.duplicates += answer.duplicates
            total.rejected += answer.rejected
            total.head = answer.head
        }
        pushed += chunk
    }
    let tokens = Set(try await fixture.storage.listDevices().filter { $0.library != nil }.map(\.id))
    for id in tokens { _ = try await fixture.storage.revokeDevice(id: id) }
    return total
}

extension CompactionTests {
    @Test("Given every device acknowledged a cursor, when the server compacts, then the removals up to it are collected too, and a new device and that device still reach the visible state of a device that applied everything",
          arguments: Backend.allCases, [UInt64(5), 17])
    func acknowledgedTombstonesAreCollected(backend: Backend, seed: UInt64) async throws {
        let fixture = try await ServerFixture(backend)
        defer { Task { await fixture.stop() } }
        let folder = try TemporaryDirectory("tombstones")
        let client = fixture.client(try await fixture.device("alice"))
        let history = randomHistory(3000, seed: seed)
        let reference = try Library(path: folder.appending("reference.sqlite"))
        try reference.apply(remote: history)
        _ = try await pushHistory(history, to: fixture)
        let head = try await client.pull(after: 0, limit: 1).head
        func removals() async throws -> [Int64] {
            var seqs: [Int64] = [], cursor: Int64 = 0
            while true {
                let page = try await fixture.storage.read(userID: 1, after: cursor, limit: 5000)
                for stored in page.ops {
                    let op = try JSONDecoder().decode(UserOperation.self, from: Data(stored.body))
                    if op.kind == .favoriteRemove || op.kind == .playlistItemRemove { seqs.append(stored.seq) }
                }
                guard let last = page.ops.last else { return seqs }
                cursor = last.seq
            }
        }
        let before = try await removals()

        // The device pulls part of the stream and acknowledges it; a second device that never
        // acknowledges holds every tombstone until it is revoked.
        let device = try Library(path: folder.appending("device.sqlite"))
        let firstPage = try await client.pull(after: 0, limit: 2000)
        _ = try device.applyPulled(firstPage.ops, cursor: firstPage.cursor)
        let laggard = try await fixture.device("alice")
        _ = try await client.pull(after: firstPage.cursor, limit: 1, acknowledge: true)
        #expect(try await fixture.storage.listDevices().first { $0.id == 1 }?.seen == firstPage.cursor)

        _ = try await fixture.storage.compact(userID: 1, through: head - 200)
        #expect(try await removals() == before) // the laggard has acknowledged nothing
        let laggardID = try #require(try await fixture.storage.authenticate(tokenHash: DeviceToken.hash(laggard))?.deviceID)
        #expect(try await fixture.storage.revokeDevice(id: laggardID))
        _ = try await fixture.storage.compact(userID: 1, through: head - 200)
        let after = try await removals()
        // Removals up to the acknowledged cursor are collected (not all: this generator reuses
        // ids, and a removal stays while an add of its id survives); none after it.
        let acknowledgedBefore = before.filter { $0 <= firstPage.cursor }.count
        let acknowledgedAfter = after.filter { $0 <= firstPage.cursor }.count
        #expect(acknowledgedAfter < acknowledgedBefore, "\(acknowledgedAfter) of \(acknowledgedBefore) kept")
        #expect(after.filter { $0 > firstPage.cursor } == before.filter { $0 > firstPage.cursor })

        // What users see is unchanged (the tombstone rows themselves are bookkeeping).
        let fresh = try Library(path: folder.appending("fresh.sqlite"))
        try await catchUp(fresh, client, from: 0)
        try await catchUp(device, client, from: firstPage.cursor)
        let visible = { (lines: [String]) in lines.filter { !$0.hasPrefix("favoriteTomb:") && !$0.hasPrefix("itemTomb:") } }
        let expected = visible(try state(reference))
        #expect(expected.contains { $0.hasPrefix("item:") })
        let freshDiff = Set(visible(try state(fresh))).symmetricDifference(expected).sorted()
        let deviceDiff = Set(visible(try state(device))).symmetricDifference(expected).sorted()
        #expect(freshDiff.isEmpty, "\(freshDiff.prefix(6))")
        #expect(deviceDiff.isEmpty, "\(deviceDiff.prefix(6))")
    }
}

extension CompactionTests {
    @Test("Given a compaction interval, the server compacts every stream by itself, leaving the tail untouched", arguments: Backend.allCases)
    func compactsPeriodically(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend) { configuration in
            configuration.compactionInterval = .milliseconds(200)
            configuration.keepTail = 10
            configuration.metricsToken = "metrics"
        }
        defer { Task { await fixture.stop() } }
        let client = fixture.client(try await fixture.device("alice"))
        _ = try await client.push(ops("dev-a", 100)) // 100 renames of one playlist: the last wins
        var stored: [StoredOperation] = []
        var metrics = ""
        _ = try await eventually {
            stored = try await fixture.storage.read(userID: 1, after: 0, limit: 1000).ops
            metrics = try await raw(fixture.url.appendingPathComponent("metrics"), token: "metrics").1
            return stored.count == 11 && metrics.contains("omnisonic_sync_ops_compacted_total 89")
        }
        // The newest rename of the compacted part and the 10-operation tail; /metrics counts it.
        #expect(stored.map(\.seq) == [90] + Array(91...100))
        #expect(metrics.contains("omnisonic_sync_ops_compacted_total 89"), "\(metrics)")
    }
}
