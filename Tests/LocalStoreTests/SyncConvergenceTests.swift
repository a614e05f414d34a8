import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing
import TestSupport

/// The merge as the sync issue uses it (decision 0013): replicas on real database files,
/// operations travelling as their JSON wire form, random partial/duplicated/reordered delivery,
/// a replica that lacks some tracks until the end, and several fixed seeds.
@Suite("Sync: replicas on files converge whatever the delivery")
struct SyncConvergenceTests {
    let base = UserDataConvergenceTests()

    /// A replica on a database file; `tracks` are the uids it has (the others arrive later).
    func replica(_ device: String, in folder: TemporaryDirectory, tracks: [String]) throws -> Library {
        let library = try Library(path: folder.appending("\(device).sqlite"))
        try library.setDeviceID(device)
        try library.scan(tracksFor(tracks))
        return library
    }

    func tracksFor(_ uids: [String]) -> [ScannedTrack] {
        uids.map { uid in
            let index = UserDataConvergenceTests.uids.firstIndex(of: uid)!
            return ScannedTrack(uid: uid, title: "Track \(index)", trackNumber: index + 1)
        }
    }

    /// Operations as they cross the network: encoded, then decoded (a lossy wire would diverge).
    func wire(_ ops: [UserOperation]) throws -> [UserOperation] {
        try JSONDecoder().decode([UserOperation].self, from: JSONEncoder().encode(ops))
    }

    /// Changes the base generator does not make: fields of other types, saved searches with
    /// several filters (a dictionary: its JSON must not depend on hashing order).
    func extraChange(_ library: Library, at time: Date, _ rng: inout SplitMix) throws {
        let uid = TrackUID(rawValue: UserDataConvergenceTests.uids.randomElement(using: &rng)!)
        let mutation: UserMutation
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: mutation = .setOverride(uid, .bpm, .number([120, 98.5, 174.25].randomElement(using: &rng)!))
        case 1: mutation = .setOverrides(uid, [.artist: .text(["X", "Y"].randomElement(using: &rng)!), .album: .text("")])
        case 2:
            let filters = Dictionary(uniqueKeysWithValues: (0..<Int.random(in: 2...6, using: &rng)).map { ("k\($0)", "v\($0)") })
            let existing = try library.savedSearches().randomElement(using: &rng)
            mutation = .saveSearch(id: existing?.id, SavedSearchDefinition(name: "F", query: "q", filters: filters, sort: "title",
                                                                          descending: Bool.random(using: &rng), limit: 10))
        default: mutation = .setOverride(uid, .trackNumber, .number(Double(Int.random(in: 1...9, using: &rng))))
        }
        let result = Result { () throws(StoreError) in try library.record(mutation, at: time) }
        if case .failure(let error) = result, error.reason != .notFound { throw error }
    }

    @Test("Given 4 replicas on files (one missing tracks) making random concurrent changes, when operations travel as JSON in random partial, duplicated, reordered batches and the missing tracks appear, then every table is identical",
          arguments: [UInt64(1), 7, 2026, 0xBEEF, 0x5EED_0007])
    func convergeOverTheWire(seed: UInt64) throws {
        var rng = SplitMix(seed: seed)
        let folder = try TemporaryDirectory("sync-merge")
        let all = UserDataConvergenceTests.uids
        let devices = ["dev-a", "dev-b", "dev-c", "dev-d"]
        var replicas: [Library] = []
        for device in devices {
            replicas.append(try replica(device, in: folder, tracks: device == "dev-d" ? Array(all.prefix(2)) : all))
        }
        let skew: [Int64] = [0, -5, 9, 2]
        // Scripted first: one playlist known to all, reordered on two devices at once while a
        // third removes an item and adds another; a favorite removed while another device adds
        // it; the same field edited on three devices in the same millisecond.
        let (a, b, c) = (replicas[0], replicas[1], replicas[2])
        let created = try a.record(.createPlaylist(name: "Shared"), at: at(1_000))
        let playlist = created[0].target
        let setup = try created + a.record(.addToPlaylist(id: playlist, uids: all.map { .t($0) }, index: nil), at: at(1_001))
            + a.record(.favorite(.t("c1"), true), at: at(1_002))
        for replica in replicas.dropFirst() { try replica.apply(remote: try wire(setup), at: at(1_003)) }
        let items = try #require(try a.playlist(id: playlist)).items
        try a.record(.movePlaylistItem(id: playlist, itemId: items[0].itemId, index: 3), at: at(2_000))
        try b.record(.movePlaylistItem(id: playlist, itemId: items[0].itemId, index: 1), at: at(2_000))
        try b.record(.movePlaylistItem(id: playlist, itemId: items[2].itemId, index: 0), at: at(2_001))
        try c.record(.removePlaylistItem(id: playlist, itemId: items[0].itemId), at: at(1_999))
        try c.record(.addToPlaylist(id: playlist, uids: [.t("c2")], index: 1), at: at(2_001))
        try b.record(.favorite(.t("c1"), false), at: at(2_002))
        try c.record(.favorite(.t("c1"), false), at: at(2_002))
        try c.record(.favorite(.t("c1"), true), at: at(2_003)) // a new item b has not seen: it survives b's removal
        for (index, replica) in [a, b, c].enumerated() {
            try replica.record(.setOverride(.t("c2"), .album, .text("From \(devices[index])")), at: at(2_003))
        }
        // What each replica has received so far, to deliver later again (duplicates).
        var time: Int64 = 10_000
        for _ in 0..<250 {
            time += Int64.random(in: 0...2, using: &rng)
            let index = Int.random(in: 0..<replicas.count, using: &rng)
            if Int.random(in: 0..<6, using: &rng) == 0 {
                try extraChange(replicas[index], at: at(time + skew[index]), &rng)
            } else {
                try base.randomChange(replicas[index], at: at(time + skew[index]), &rng)
            }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                let from = Int.random(in: 0..<replicas.count, using: &rng), to = Int.random(in: 0..<replicas.count, using: &rng)
                let log = try replicas[from].operations(after: 0, limit: 100_000).map(\.operation)
                let some = log.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }
                try replicas[to].apply(remote: try wire(some.shuffled(using: &rng)), at: at(time + skew[to]))
            }
        }
        var everything: [UserOperation] = []
        for replica in replicas { everything += try replica.operations(after: 0, limit: 100_000).map(\.operation) }
        for (index, replica) in replicas.enumerated() {
            var delivery = everything + everything.filter { _ in Int.random(in: 0..<4, using: &rng) == 0 }
            delivery.shuffle(using: &rng)
            while !delivery.isEmpty {
                let size = Int.random(in: 1...60, using: &rng)
                try replica.apply(remote: try wire(Array(delivery.prefix(size))), at: at(time + skew[index]))
                delivery.removeFirst(min(size, delivery.count))
            }
        }
        // Before its tracks appear, the replica that lacks them already holds their data.
        let lacking = replicas[3]
        let waiting = try lacking.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM trackOverride WHERE uid IN ('c3', 'c4')")!
        }
        #expect(waiting > 0)
        #expect(try lacking.track(uid: .t("c3")) == nil)
        // The tracks appear (a later scan of the same files): the waiting operations take effect.
        try lacking.scan(tracksFor(all))

        let dumps = try replicas.map(base.dump)
        for index in 1..<dumps.count {
            #expect(dumps[index] == dumps[0], "replica \(devices[index]) differs: \(Set(dumps[index]).symmetricDifference(dumps[0]).sorted().prefix(6))")
        }
        let views = try replicas.map(base.views)
        for index in 1..<views.count { #expect(views[index] == views[0]) }
        let kinds = Set(everything.map(\.kind))
        #expect(kinds.isSuperset(of: [.trackOverride, .favoriteAdd, .favoriteRemove, .rating, .played, .playlistCreate,
                                      .playlistItemAdd, .playlistItemMove, .playlistItemRemove, .searchSave]))
        #expect(everything.contains { op in
            if case .searchSave(let definition) = op.payload { return (definition.filters?.count ?? 0) > 1 }
            return false
        })
    }

    @Test("Given an override, a favorite and a playlist item for a track this device lacks, when the track is scanned later, then they apply to it")
    func operationsWaitForTheirTrack() throws {
        let folder = try TemporaryDirectory("sync-wait")
        let full = try replica("full", in: folder, tracks: UserDataConvergenceTests.uids)
        let partial = try replica("part", in: folder, tracks: ["c1"])
        var ops = try full.record(.setOverride(.t("c4"), .title, .text("Edited elsewhere")), at: at(1_000))
        ops += try full.record(.favorite(.t("c4"), true), at: at(1_001))
        let created = try full.record(.createPlaylist(name: "Mixed"), at: at(1_002))
        ops += created
        ops += try full.record(.addToPlaylist(id: created[0].target, uids: [.t("c1"), .t("c4")], index: nil), at: at(1_003))
        try partial.apply(remote: try wire(ops))
        #expect(try partial.track(uid: .t("c4")) == nil)
        #expect(try partial.userState(uid: .t("c4")).favorite == true)

        try partial.scan(tracksFor(["c1", "c4"]))
        #expect(try partial.track(uid: .t("c4"))?.title == "Edited elsewhere")
        #expect(try partial.track(uid: .t("c4"))?.favorite == true)
        let items = try #require(try partial.playlist(id: created[0].target)).items
        #expect(items.map(\.uid) == [.t("c1"), .t("c4")])
    }
}

@Suite("Sync: operations a faulty client makes still merge order-independently")
struct FaultyClientConvergenceTests {
    func stamp(_ ms: Int64, _ device: String) -> HLCTimestamp { HLCTimestamp(wallMs: ms, counter: 0, device: device) }

    @Test("Given two adds (and two removals) reusing one item id with different tracks or playlists, when applied in either order, then the tables are identical")
    func reusedItemIDs() throws {
        let ops = [
            UserOperation(hlc: stamp(1_000, "x"), target: "p1", payload: .playlistItemAdd(itemId: "dup", uid: .t("c1"), position: "a0")),
            UserOperation(hlc: stamp(2_000, "y"), target: "p2", payload: .playlistItemAdd(itemId: "dup", uid: .t("c2"), position: "a1")),
            UserOperation(hlc: stamp(1_500, "x"), target: "c1", payload: .favoriteAdd(itemId: "fav")),
            UserOperation(hlc: stamp(1_600, "y"), target: "c2", payload: .favoriteAdd(itemId: "fav")),
            UserOperation(hlc: stamp(3_000, "x"), target: "p1", payload: .playlistItemRemove(itemId: "gone")),
            UserOperation(hlc: stamp(3_100, "y"), target: "p2", payload: .playlistItemRemove(itemId: "gone")),
            UserOperation(hlc: stamp(3_200, "x"), target: "c1", payload: .favoriteRemove(itemIds: ["old"])),
            UserOperation(hlc: stamp(3_300, "y"), target: "c2", payload: .favoriteRemove(itemIds: ["old"])),
        ]
        let base = UserDataConvergenceTests()
        let forward = try base.replica("f"), backward = try base.replica("b")
        for op in ops { try forward.apply(remote: [op]) }
        for op in ops.reversed() { try backward.apply(remote: [op]) }
        let dumps = try [forward, backward].map(base.dump)
        #expect(dumps[0] == dumps[1])
        #expect(dumps[0].contains { $0.hasPrefix("item:") && $0.contains("\"dup\" | \"p2\" | \"c2\"") })
    }
}
