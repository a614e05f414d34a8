import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing

/// What operations from a hostile or broken device can do to a library (issue 18, decision 0017).
@Suite("User data: bounded values from other devices")
struct UserDataTrustTests {
    func library() throws -> Library {
        let library = try Library.inMemory()
        try library.scan(UserDataTests.tracks)
        return library
    }

    @Test("Given stored play counts of 2^63-1 (from before the bound) on this and another device, when the track is read, searched and played, then nothing fails: each count reads as 1,000,000 and a play keeps it there")
    func storedHugeCountsAreHarmless() throws {
        let library = try library()
        let me = try library.deviceID()
        try library.write("planting counts") { db in
            for device in [me, "hostile"] {
                try db.execute(sql: "INSERT INTO trackPlay(uid, device, count, lastPlayed) VALUES ('u1', ?, ?, ?)",
                               arguments: [device, Int64.max, Int64.max])
            }
        }
        #expect(try library.userState(uid: .t("u1")).playCount == 2_000_000)
        #expect(try library.search(SearchQuery(text: "")).tracks.first { $0.uid == .t("u1") }?.playCount == 2_000_000)
        let ops = try library.record(.played(.t("u1")), at: at(5_000))
        guard case .played(let count, _)? = ops.first?.payload else {
            Issue.record("no play recorded")
            return
        }
        #expect(count == 1_000_000)
        #expect(try library.track(uid: .t("u1"))?.playCount == 2_000_000)
    }

    @Test("Given remote plays of 2^63-1 and 1,000,001 and a title of one letter with 1.9 million combining marks, when applied, then each is skipped as invalid; a count of 1,000,000 is applied")
    func hostileRemoteValuesAreSkipped() throws {
        let library = try library()
        func stamp(_ i: Int64) -> HLCTimestamp { HLCTimestamp(wallMs: 1_000 + i, counter: 0, device: "other") }
        let marks = "e" + String(repeating: "\u{301}", count: 1_900_000)
        #expect(marks.count == 1) // one grapheme cluster: why limits are not String.count
        let applied = try library.apply(remote: [
            UserOperation(hlc: stamp(1), target: "u1", payload: .played(count: Int.max, lastPlayedMs: 1)),
            UserOperation(hlc: stamp(2), target: "u2", payload: .played(count: 1_000_001, lastPlayedMs: 1)),
            UserOperation(hlc: stamp(3), target: "u1", payload: .trackOverride(field: .title, value: .text(marks))),
            UserOperation(hlc: stamp(4), target: "u3", payload: .played(count: 1_000_000, lastPlayedMs: 1)),
        ])
        #expect(applied == 1)
        #expect(try library.userState(uid: .t("u1")).playCount == 0)
        #expect(try library.track(uid: .t("u1"))?.title == "Blue Monday")
        #expect(try library.userState(uid: .t("u3")).playCount == 1_000_000)
        // Locally too: the limit counts code points, bounding bytes.
        #expect(throws: StoreError.self) { try library.record(.setOverride(.t("u1"), .title, .text(marks))) }
        #expect(throws: StoreError.self) { try library.record(.createPlaylist(name: "e" + String(repeating: "\u{301}", count: 300))) }
        #expect(throws: StoreError.self) {
            try library.record(.saveSearch(id: nil, SavedSearchDefinition(name: "s", query: "a" + String(repeating: "\u{301}", count: 1000))))
        }
    }

    @Test("Given a remote operation stamped a day ahead, when applied, then it takes effect but this device's next stamp stays within 5 minutes of its wall clock")
    func farFutureClocksAreNotAdopted() throws {
        let library = try library()
        let now: Int64 = 1_700_000_000_000
        let ahead = HLCTimestamp(wallMs: now + 86_400_000, counter: 0, device: "other")
        #expect(try library.apply(remote: [UserOperation(hlc: ahead, target: "u1", payload: .rating(5))], at: at(now)) == 1)
        #expect(try library.track(uid: .t("u1"))?.rating == 5)
        let local = try library.record(.rate(.t("u2"), 3), at: at(now + 1))
        let stamp = try #require(local.first?.hlc)
        #expect(stamp.wallMs <= now + Library.maxClockSkewMs + 1)
        #expect(stamp.wallMs >= now + 1)
        // Within the horizon a received stamp still orders later local edits after it.
        let near = HLCTimestamp(wallMs: now + 60_000, counter: 0, device: "other")
        _ = try library.apply(remote: [UserOperation(hlc: near, target: "u3", payload: .rating(1))], at: at(now + 2))
        let after = try #require(try library.record(.rate(.t("u3"), 2), at: at(now + 3)).first?.hlc)
        #expect(after > near)
        #expect(try library.track(uid: .t("u3"))?.rating == 2)
    }
}
