import Foundation
@testable import LocalStore
import OmniModel
import Testing
import TestSupport

@Suite("User data: stickers MPD clients keep")
struct UserDataStickerTests {
    func replica(_ device: String) throws -> Library {
        let library = try Library.inMemory()
        try library.setDeviceID(device)
        try library.scan([ScannedTrack(uid: "s1", title: "One"), ScannedTrack(uid: "s2", title: "Two", trackNumber: 2)])
        return library
    }

    @Test("Given a sticker set, changed and deleted, when read, then each is one track.sticker operation in the log and the reads follow")
    func setChangeDelete() throws {
        let library = try replica("a")
        let set = try library.record(.setSticker(.t("s1"), name: "mood", value: "calm"), at: at(1_000))
        #expect(set.map(\.kind) == [.sticker])
        try library.record(.setSticker(.t("s2"), name: "mood", value: "loud"), at: at(1_001))
        #expect(try library.stickers(uid: .t("s1")) == ["mood": "calm"])
        #expect(try library.stickers(named: "mood") == [.t("s1"): "calm", .t("s2"): "loud"])
        try library.record(.setSticker(.t("s1"), name: "mood", value: "bright"), at: at(1_002))
        try library.record(.setSticker(.t("s1"), name: "mood", value: nil), at: at(1_003))
        #expect(try library.stickers(uid: .t("s1")).isEmpty)
        #expect(try library.stickers(named: "mood") == [.t("s2"): "loud"])
        // Deleting what is not there records nothing.
        #expect(try library.record(.setSticker(.t("s1"), name: "mood", value: nil), at: at(1_004)).isEmpty)
        let log = try library.operations(after: 0)
        #expect(log.map(\.operation.kind) == [.sticker, .sticker, .sticker, .sticker])
        #expect(log.last?.operation.payload == .sticker(name: "mood", value: nil))
    }

    @Test("Given stickers set on two devices, when each applies the other's operations in any order, then both hold the newer value and a delete wins over an older set")
    func converges() throws {
        let a = try replica("a"), b = try replica("b")
        let fromA = try a.record(.setSticker(.t("s1"), name: "mood", value: "A"), at: at(5_000))
        let fromB = try b.record(.setSticker(.t("s1"), name: "mood", value: "B"), at: at(4_000))
            + b.record(.setSticker(.t("s2"), name: "tempo", value: "fast"), at: at(4_001))
        try a.apply(remote: fromB)
        try b.apply(remote: fromA.reversed())
        try b.apply(remote: fromA)
        for library in [a, b] {
            #expect(try library.stickers(uid: .t("s1")) == ["mood": "A"])
            #expect(try library.stickers(uid: .t("s2")) == ["tempo": "fast"])
        }
        let delete = try b.record(.setSticker(.t("s1"), name: "mood", value: nil), at: at(6_000))
        try a.apply(remote: delete + fromA)
        #expect(try a.stickers(uid: .t("s1")).isEmpty)
    }

    @Test("Given names and values out of bounds, when set locally or received, then they are refused or skipped alike")
    func limits() throws {
        let library = try replica("a")
        for (name, value) in [("", "x"), (String(repeating: "n", count: 65), "x"), ("a=b", "x"), ("tab\there", "x"), ("rating", "5"),
                              ("favorite", "1"), ("playcount", "1"), ("mood", String(repeating: "v", count: 4097)), ("mood", "line\nbreak")] {
            #expect(throws: StoreError.self) { try library.record(.setSticker(.t("s1"), name: name, value: value)) }
        }
        // At the bounds: 64 bytes of name (16 four-byte characters), 4,096 bytes of value.
        try library.record(.setSticker(.t("s1"), name: String(repeating: "𝄞", count: 16), value: String(repeating: "é", count: 2048)))
        #expect(throws: StoreError.self) { try library.record(.setSticker(.t("nope"), name: "mood", value: "x")) }
        let remote = UserOperation(hlc: HLCTimestamp(wallMs: 9_000, counter: 0, device: "z"), target: "s1",
                                   payload: .sticker(name: "rating", value: "10"))
        #expect(try library.apply(remote: [remote]) == 0)
        #expect(try library.stickers(uid: .t("s1"))["rating"] == nil)
        // A track holds at most 100 stickers (checked when set here, never on received ones).
        for i in 1..<UserDataValidation.maxStickersPerTrack { try library.record(.setSticker(.t("s1"), name: "k\(i)", value: "v")) }
        #expect(throws: StoreError.self) { try library.record(.setSticker(.t("s1"), name: "one more", value: "v")) }
        try library.record(.setSticker(.t("s1"), name: "k1", value: "changed"))
        #expect(try library.stickers(uid: .t("s1")).count == UserDataValidation.maxStickersPerTrack)
    }
}
