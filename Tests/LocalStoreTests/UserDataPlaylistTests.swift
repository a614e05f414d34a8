import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing

@Suite("User data: playlists and saved searches")
struct UserDataPlaylistTests {
    func library() throws -> Library {
        let library = try Library.inMemory()
        try library.scan((1...5).map { ScannedTrack(uid: "t\($0)", title: "Song \($0)", trackNumber: $0, durationMs: 1000 * $0) })
        return library
    }

    func titles(_ library: Library, _ id: String) throws -> [String] {
        try #require(try library.playlist(id: id)).items.map { $0.track?.title ?? "?" }
    }

    @Test("Given names at the edges of the API schema's rule, when playlists are created, then exactly the valid ones are accepted, trimmed",
          arguments: [
              (" Road trip ", "Road trip"), ("\u{85}", nil), ("\u{2028} \u{A0}", nil), ("a\u{7F}", nil), ("tab\there", nil),
              (String(repeating: "é", count: 200), String(repeating: "é", count: 200)),
              (String(repeating: "e\u{301}", count: 101), nil),  // 101 characters, 202 code points
          ] as [(String, String?)])
    func nameRule(name: String, stored: String?) throws {
        let library = try library()
        do {
            let id = try library.record(.createPlaylist(name: name))[0].target
            #expect(try library.playlist(id: id)?.name == stored)
        } catch {
            #expect(stored == nil, "\(error)")
        }
    }

    @Test("Given a new playlist, when tracks are appended, inserted, moved and removed (one track twice), then the order follows each step")
    func orderAfterEdits() throws {
        let library = try library()
        let id = try library.record(.createPlaylist(name: " Road trip "), at: at(1_000))[0].target
        try library.record(.addToPlaylist(id: id, uids: [.t("t1"), .t("t2"), .t("t3")], index: nil), at: at(1_001))
        #expect(try titles(library, id) == ["Song 1", "Song 2", "Song 3"])
        try library.record(.addToPlaylist(id: id, uids: [.t("t4"), .t("t1")], index: 1), at: at(1_002))
        #expect(try titles(library, id) == ["Song 1", "Song 4", "Song 1", "Song 2", "Song 3"])
        try library.record(.addToPlaylist(id: id, uids: [.t("t5")], index: 0), at: at(1_003))
        #expect(try titles(library, id) == ["Song 5", "Song 1", "Song 4", "Song 1", "Song 2", "Song 3"])

        var items = try #require(try library.playlist(id: id)).items
        try library.record(.movePlaylistItem(id: id, itemId: items[0].itemId, index: 5), at: at(1_004))
        #expect(try titles(library, id) == ["Song 1", "Song 4", "Song 1", "Song 2", "Song 3", "Song 5"])
        items = try #require(try library.playlist(id: id)).items
        try library.record(.movePlaylistItem(id: id, itemId: items[4].itemId, index: 0), at: at(1_005))
        #expect(try titles(library, id) == ["Song 3", "Song 1", "Song 4", "Song 1", "Song 2", "Song 5"])
        items = try #require(try library.playlist(id: id)).items
        // Remove the second copy of Song 1 only.
        try library.record(.removePlaylistItem(id: id, itemId: items[3].itemId), at: at(1_006))
        #expect(try titles(library, id) == ["Song 3", "Song 1", "Song 4", "Song 2", "Song 5"])
        #expect(try #require(try library.playlist(id: id)).items[1].itemId == items[1].itemId)

        let summary = try #require(try library.playlists().first)
        #expect(summary.name == "Road trip")
        #expect(summary.trackCount == 5)
        #expect(summary.durationMs == 3000 + 1000 + 4000 + 2000 + 5000)
    }

    @Test("Given many single appends and inserts at the front, when keys are made, then they stay short and strictly ordered")
    func positionKeysStayShort() throws {
        var keys: [String] = []
        for _ in 0..<2000 { keys.append(try PositionKey.between(keys.last, nil)) }
        for _ in 0..<500 { keys.insert(try PositionKey.between(nil, keys.first), at: 0) }
        #expect(keys.map { $0.utf8.count }.max()! <= 4)
        for (a, b) in zip(keys, keys.dropFirst()) { #expect(Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))) }
        var left = "a0", right = "a1"
        for i in 0..<200 {
            let mid = try PositionKey.between(left, right)
            #expect(Array(left.utf8).lexicographicallyPrecedes(Array(mid.utf8)) && Array(mid.utf8).lexicographicallyPrecedes(Array(right.utf8)))
            if i.isMultiple(of: 2) { left = mid } else { right = mid }
        }
        let spread = try PositionKey.between("a0", "a1", count: 100)
        #expect(spread == spread.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(Set(spread).count == 100)
        #expect(!PositionKey.isValid("a10") && !PositionKey.isValid("") && !PositionKey.isValid("a0 "))
    }

    @Test("Given a playlist, when it is renamed and deleted, then the list follows and later edits to it are refused locally")
    func renameAndDelete() throws {
        let library = try library()
        let id = try library.record(.createPlaylist(name: "A"), at: at(1_000))[0].target
        try library.record(.renamePlaylist(id: id, name: "B"), at: at(1_001))
        #expect(try library.playlists().map(\.name) == ["B"])
        try library.record(.deletePlaylist(id: id), at: at(1_002))
        #expect(try library.playlists().isEmpty)
        #expect(try library.playlist(id: id) == nil)
        #expect(throws: StoreError.self) { try library.record(.renamePlaylist(id: id, name: "C")) }
        #expect(throws: StoreError.self) { try library.record(.createPlaylist(name: "  ")) }
        #expect(throws: StoreError.self) { try library.record(.addToPlaylist(id: "missing", uids: [.t("t1")], index: nil)) }
    }

    @Test("Given a delete on one device and a later rename on another, when merged, then the playlist is back without the items added before the delete")
    func renameAfterDeleteRevives() throws {
        let a = try library(), b = try library()
        try a.setDeviceID("aaaa")
        try b.setDeviceID("bbbb")
        let created = try a.record(.createPlaylist(name: "Mix"), at: at(1_000))
        let added = try a.record(.addToPlaylist(id: created[0].target, uids: [.t("t1")], index: nil), at: at(1_001))
        try b.apply(remote: created + added)
        let deleted = try a.record(.deletePlaylist(id: created[0].target), at: at(2_000))
        let renamed = try b.record(.renamePlaylist(id: created[0].target, name: "Mix 2"), at: at(3_000))
        try a.apply(remote: renamed)
        try b.apply(remote: deleted)
        for library in [a, b] {
            let playlist = try #require(try library.playlist(id: created[0].target))
            #expect(playlist.name == "Mix 2")
            #expect(playlist.items.isEmpty)
        }
    }

    @Test("Given a saved search, when saved, changed, run and deleted, then the list and the results follow")
    func savedSearches() throws {
        let library = try library()
        let id = try library.record(.saveSearch(id: nil, SavedSearchDefinition(name: "Songs", query: "song", sort: "title", limit: 3)),
                                    at: at(1_000))[0].target
        #expect(try library.savedSearches().map(\.definition.name) == ["Songs"])
        let results = try #require(try library.evaluate(savedSearch: id, limit: 10))
        #expect(results.tracks.map(\.title) == ["Song 1", "Song 2", "Song 3"])
        #expect(results.total == 3)
        try library.record(.saveSearch(id: id, SavedSearchDefinition(name: "Songs", query: "song", sort: "title", descending: true)),
                           at: at(1_001))
        #expect(try library.evaluate(savedSearch: id)?.tracks.first?.title == "Song 5")
        #expect(throws: StoreError.self) { try library.record(.saveSearch(id: nil, SavedSearchDefinition(name: "x", query: "", sort: "nope"))) }
        try library.record(.deleteSearch(id: id), at: at(1_002))
        #expect(try library.savedSearches().isEmpty)
        #expect(try library.evaluate(savedSearch: id) == nil)
    }

    @Test("Given two devices inserting at the same place at once, when merged, then both items stay in item-id order and a later insert still fits")
    func concurrentInsertsTie() throws {
        let a = try library(), b = try library()
        try a.setDeviceID("a")
        try b.setDeviceID("b")
        let created = try a.record(.createPlaylist(name: "Tie"), at: at(1_000))
        let id = created[0].target
        let base = try a.record(.addToPlaylist(id: id, uids: [.t("t1"), .t("t5")], index: nil), at: at(1_001))
        try b.apply(remote: created + base)
        let fromA = try a.record(.addToPlaylist(id: id, uids: [.t("t2")], index: 1), at: at(2_000))
        let fromB = try b.record(.addToPlaylist(id: id, uids: [.t("t3")], index: 1), at: at(2_000))
        #expect(fromA[0].payload.position == fromB[0].payload.position) // the same key on both sides
        try a.apply(remote: fromB)
        try b.apply(remote: fromA)
        let middle = [(fromA[0].itemId!, "Song 2"), (fromB[0].itemId!, "Song 3")].sorted { $0.0 < $1.0 }.map(\.1)
        #expect(try titles(a, id) == ["Song 1"] + middle + ["Song 5"])
        #expect(try titles(b, id) == titles(a, id))
        try a.record(.addToPlaylist(id: id, uids: [.t("t4")], index: 2), at: at(3_000))
        let after = try titles(a, id)
        #expect(after.count == 5)
        #expect(after.first == "Song 1" && after.last == "Song 5")
        #expect(after.contains("Song 4"))
    }
}
