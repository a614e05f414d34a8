import Foundation
import OmniModel
import Testing
import TestSupport

@Suite("Hybrid logical clock and operation encoding")
struct UserDataClockTests {
    /// A wall clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var ms: Int64
        init(_ ms: Int64) { self.ms = ms }
        var now: Int64 { lock.withLock { ms } }
        func set(_ value: Int64) { lock.withLock { ms = value } }
    }

    @Test("Given a wall clock that stands still or goes back, when the HLC ticks, then timestamps still increase")
    func monotonic() {
        let wall = ManualClock(1_000)
        var clock = HybridLogicalClock(device: "d", wallClock: { wall.now })
        let a = clock.tick(), b = clock.tick()
        #expect(a == HLCTimestamp(wallMs: 1_000, counter: 0, device: "d"))
        #expect(b == HLCTimestamp(wallMs: 1_000, counter: 1, device: "d"))
        wall.set(500)
        let c = clock.tick()
        #expect(c > b)
        #expect(c.wallMs == 1_000)
        wall.set(2_000)
        #expect(clock.tick() == HLCTimestamp(wallMs: 2_000, counter: 0, device: "d"))
    }

    @Test("Given a remote timestamp ahead of the wall clock, when received, then the next local tick orders after it")
    func receive() {
        let wall = ManualClock(1_000)
        var clock = HybridLogicalClock(device: "a", wallClock: { wall.now })
        let remote = HLCTimestamp(wallMs: 5_000, counter: 7, device: "z")
        clock.receive(remote)
        let next = clock.tick()
        #expect(next > remote)
        #expect(next.wallMs == 5_000)
        wall.set(9_000)
        clock.receive(HLCTimestamp(wallMs: 100, counter: 0, device: "b"))
        #expect(clock.tick() == HLCTimestamp(wallMs: 9_000, counter: 1, device: "a"))
    }

    @Test("Given random timestamps, when encoded, then the strings sort bytewise exactly as the timestamps, and parse back")
    func encodingOrder() {
        var rng = SplitMix(seed: 42)
        let devices = ["a", "b", "ab", "dev-1", "dev-10", "z"]
        let stamps = (0..<500).map { _ in
            HLCTimestamp(wallMs: Int64.random(in: 0...3, using: &rng) * 1_000_000_000_000 + Int64.random(in: 0...2, using: &rng),
                         counter: UInt32.random(in: 0...2, using: &rng) * 70_000, device: devices.randomElement(using: &rng)!)
        }
        let byValue = stamps.sorted()
        let byText = stamps.sorted { Array($0.encoded.utf8).lexicographicallyPrecedes(Array($1.encoded.utf8)) }
        #expect(byValue.map(\.encoded) == byText.map(\.encoded))
        for stamp in stamps {
            #expect(HLCTimestamp(encoded: stamp.encoded) == stamp)
            #expect(stamp.clock.utf8.count == 21)
        }
        #expect(HLCTimestamp(encoded: "nonsense") == nil)
    }

    @Test("Given every kind of operation, when encoded to JSON and back, then it is unchanged and the wire names are the documented ones")
    func operationJSON() throws {
        let hlc = HLCTimestamp(wallMs: 1, counter: 2, device: "dev")
        let payloads: [UserOperation.Payload] = [
            .trackOverride(field: .genres, value: .list(["A", "B"])), .trackOverride(field: .title, value: nil),
            .trackOverride(field: .bpm, value: .number(120.5)), .favoriteAdd(itemId: "i"), .favoriteRemove(itemIds: ["i", "j"]),
            .rating(3), .rating(nil), .played(count: 4, lastPlayedMs: 99), .playlistCreate(name: "P"), .playlistRename(name: "Q"),
            .playlistDelete, .playlistItemAdd(itemId: "i", uid: TrackUID(rawValue: "u"), position: "a0"),
            .playlistItemMove(itemId: "i", position: "a1"), .playlistItemRemove(itemId: "i"),
            .searchSave(SavedSearchDefinition(name: "S", query: "q", filters: ["year": "1990"], sort: "year", descending: true, limit: 5)),
            .searchDelete, .sticker(name: "mood", value: "calm"), .sticker(name: "mood", value: nil),
            .scheduleSave(ScheduleDefinition(name: "Alarm", sourceKind: .playlist, sourceId: "p", time: "07:00", repeats: .weekdays,
                                             days: [1, 5], timeZone: "Europe/Berlin", fadeInMinutes: 5, device: "dev", since: 7)),
            .scheduleDelete,
            .scheduleRun(ScheduleRunRecord(plannedMs: 5, handledMs: 6, outcome: .failed, reason: "gone")),
            .listen(PlayListen(uid: TrackUID(rawValue: "u"), playedMs: 9, durationMs: 1000, client: "web", title: "T", artist: "A")),
            .albumFavorite(true), .albumFavorite(false), .artistFavorite(true),
        ]
        let ops = payloads.map { UserOperation(hlc: hlc, target: "t", payload: $0) }
        let data = try JSONEncoder().encode(ops)
        #expect(try JSONDecoder().decode([UserOperation].self, from: data) == ops)
        let text = String(decoding: try JSONEncoder().encode(ops[3]), as: UTF8.self)
        #expect(text.contains("\"kind\":\"track.favorite.add\""))
        #expect(text.contains("\"hlc\":\"000000000001-00000002-dev\""))
        #expect(Set(ops.map(\.kind)).count == UserOperation.Kind.allCases.count)
        let bad = #"{"hlc":"000000000001-00000002-dev","kind":"track.rating","target":"t","payload":{"value":"five"}}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(UserOperation.self, from: Data(bad.utf8)) }
    }
}
