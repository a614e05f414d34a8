import Foundation
import OmniModel
import Testing

@Suite("Live events as JSON")
struct LibraryEventTests {
    @Test("Every event encodes as a flat object with its type and decodes back to itself",
          arguments: [
              LibraryEvent.scan(phase: "probing", done: 3, total: 10, rate: 120.5),
              .scanFinished(added: 1, updated: 2, moved: 3, removed: 4, failed: 5, seconds: 0.25),
              .tracksChanged(uids: [TrackUID(rawValue: "abc")]),
              .tracksRemoved(uids: [TrackUID(rawValue: "abc"), TrackUID(rawValue: "def")]),
              .playlistChanged(id: "p1"),
              .playlistDeleted(id: "p2"),
              .savedSearchesChanged,
              .player(state: .playing, index: 2, uid: TrackUID(rawValue: "abc"), positionMs: 1500, error: nil),
              .player(state: .stopped, index: nil, uid: nil, positionMs: 0, error: "the device is busy"),
              .radio(RadioState(active: true, seed: TrackUID(rawValue: "abc"), window: 50, added: 6)),
              .radio(RadioState()),
              .favoritesChanged(kind: "album", key: "the beatles\u{1F}abbey road"),
              .schedulesChanged,
          ])
    func roundTrip(_ event: LibraryEvent) throws {
        let data = try JSONEncoder().encode(event)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["type"] as? String == event.name)
        #expect(try JSONDecoder().decode(LibraryEvent.self, from: data) == event)
    }

    @Test("Stars on albums and artists announce favoritesChanged with their kind and key; a track's star announces the track",
          arguments: [(UserOperation.Payload.albumFavorite(true), LibraryEvent.favoritesChanged(kind: "album", key: "k1")),
                      (.artistFavorite(false), .favoritesChanged(kind: "artist", key: "k1")),
                      (.favoriteAdd(itemId: "i1"), .tracksChanged(uids: [TrackUID(rawValue: "k1")]))])
    func operationEvents(_ payload: UserOperation.Payload, _ expected: LibraryEvent) {
        #expect(UserOperation(hlc: HLCTimestamp(wallMs: 1, counter: 0, device: "d"), target: "k1", payload: payload).event == expected)
    }

    @Test("Operations applied together announce one tracksChanged with each uid once, then every other event once, in order")
    func eventsOfOperations() {
        func op(_ target: String, _ payload: UserOperation.Payload) -> UserOperation {
            UserOperation(hlc: HLCTimestamp(wallMs: 1, counter: 0, device: "d"), target: target, payload: payload)
        }
        let ops = [op("a", .albumFavorite(true)), op("u1", .favoriteAdd(itemId: "i1")), op("u2", .rating(4)),
                   op("a", .albumFavorite(false)), op("u1", .rating(nil))]
        #expect(UserOperation.events(for: ops) == [.tracksChanged(uids: [TrackUID(rawValue: "u1"), TrackUID(rawValue: "u2")]),
                                                   .favoritesChanged(kind: "album", key: "a")])
        #expect(UserOperation.events(for: [op("p", .playlistDelete)]) == [.playlistDeleted(id: "p")])
        #expect(UserOperation.events(for: []).isEmpty)
    }

    @Test("An unknown type is a decoding error, not a crash")
    func unknownType() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LibraryEvent.self, from: Data(#"{"type":"nope"}"#.utf8))
        }
    }
}

@Suite("LibraryEvent: sync")
struct SyncEventTests {
    @Test("A sync event encodes flat with type sync and decodes back to the same state")
    func roundTrip() throws {
        let event = LibraryEvent.sync(SyncState(enabled: true, connected: false, lastSync: 12.5, pending: 3, error: "down", cursor: 42))
        let data = try JSONEncoder().encode(event)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["type"] as? String == "sync")
        #expect(object["pending"] as? Int == 3)
        #expect(try JSONDecoder().decode(LibraryEvent.self, from: data) == event)
        #expect(event.name == "sync")
    }
}
