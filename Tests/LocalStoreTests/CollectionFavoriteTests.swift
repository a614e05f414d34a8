import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing

@Suite("User data: stars on albums and artists")
struct CollectionFavoriteTests {
    func replica(_ device: String) throws -> Library {
        let library = try Library.inMemory()
        try library.setDeviceID(device)
        try library.scan([ScannedTrack(uid: "s1", title: "One"), ScannedTrack(uid: "s2", title: "Two", trackNumber: 2)])
        return library
    }

    func albumKey(_ library: Library) throws -> (id: Int64, key: String) {
        let id = try #require(try library.albums().items.first?.id)
        return (id, try #require(try library.albumKey(id: id)))
    }

    @Test("Given an album starred on one device and unstarred later on another, when each merges the other's operation, then both show the later choice, in the web listing and the Subsonic rows")
    func albumStarsConvergeLastWriterWins() throws {
        let a = try replica("a"), b = try replica("b")
        let (id, key) = try albumKey(a)
        let star = try a.record(.favoriteAlbum(key: key, true), at: at(1_000))
        #expect(star.map(\.kind) == [.albumFavorite])
        #expect(try a.album(id: id)?.album.favorite == true)
        // Starring a starred album records nothing.
        #expect(try a.record(.favoriteAlbum(key: key, true), at: at(1_500)).isEmpty)
        try b.apply(remote: star)
        let unstar = try b.record(.favoriteAlbum(key: key, false), at: at(2_000))
        #expect(unstar.count == 1)
        // An older star arriving after the unstar does not bring it back.
        try b.apply(remote: star)
        try a.apply(remote: unstar)
        for library in [a, b] {
            #expect(try library.albums().items.first?.favorite == false)
            #expect(try library.subsonicAlbums(.starred, limit: 10, offset: 0).isEmpty)
            #expect(try library.subsonicAlbum(key: key)?.album.starred == nil)
        }
        // Concurrent star and unstar at one instant: both devices pick the same (the device id decides).
        let starA = try a.record(.favoriteAlbum(key: key, true), at: at(9_000))
        try b.record(.favoriteAlbum(key: key, true), at: at(8_000))
        let unstarB = try b.record(.favoriteAlbum(key: key, false), at: at(9_000))
        try a.apply(remote: unstarB)
        try b.apply(remote: starA)
        let states = try [a, b].map { try $0.album(id: id)?.album.favorite }
        #expect(states[0] == states[1])
        #expect(states[0] == (starA[0].hlc > unstarB[0].hlc)) // the later in clock order (equal times: the device id)
    }

    @Test("Given an artist starred, then the Subsonic rows carry its star date, the web listing its flag, and a rescan keeps it")
    func artistStarsShowAndSurviveRescans() throws {
        let library = try replica("a")
        let artist = try #require(try library.artists().items.first)
        let key = try #require(try library.artistKey(id: artist.id))
        try library.record(.favoriteArtist(key: key, true), at: at(1_700_000_000_000))
        #expect(try library.artist(id: artist.id)?.artist.favorite == true)
        let starred = try library.starredArtists()
        #expect(starred.map(\.key) == [key])
        #expect(starred.first?.starred == at(1_700_000_000_000))
        #expect(try library.subsonicArtist(key: key)?.artist.starred == at(1_700_000_000_000))
        try library.scan([ScannedTrack(uid: "s1", title: "One again"), ScannedTrack(uid: "s2", title: "Two", trackNumber: 2)])
        #expect(try library.artists().items.first { $0.name == "Artist" }?.favorite == true)
        #expect(try library.starredArtists().count == 1)
    }

    @Test("Given an album or artist the library lacks, when starred, then notFound and nothing is logged; an operation about one arrives and applies")
    func unknownTargetsAndWireForm() throws {
        let library = try replica("a")
        for mutation in [UserMutation.favoriteAlbum(key: "nothing\u{1F}a:nobody", true), .favoriteArtist(key: "nobody", true)] {
            let result = Result { () throws(StoreError) in try library.record(mutation) }
            guard case .failure(let error) = result else { Issue.record("recorded \(mutation)"); continue }
            #expect(error.reason == .notFound)
        }
        #expect(try library.operations(after: 0).isEmpty)
        // The wire form: {"favorite": true}, decoded back to the same operation.
        let op = UserOperation(hlc: HLCTimestamp(wallMs: 5, counter: 0, device: "z"), target: "later\u{1F}a:someone", payload: .albumFavorite(true))
        let json = try JSONEncoder().encode(op)
        #expect(String(decoding: json, as: UTF8.self).contains("\"kind\":\"album.favorite\""))
        #expect(try JSONDecoder().decode(UserOperation.self, from: json) == op)
        #expect(op.isValidForMerge)
        // A key longer than any album's is refused by every replica.
        #expect(!UserOperation(hlc: op.hlc, target: String(repeating: "x", count: 5000), payload: .artistFavorite(true)).isValidForMerge)
        // A star about an album this device does not have yet is kept and shows when it appears.
        try library.apply(remote: [op])
        try library.scan([ScannedTrack(uid: "s9", title: "Nine", artist: "Someone", album: "Later")], inode: 50)
        let later = try #require(try library.albums().items.first { $0.title == "Later" })
        #expect(try library.albumKey(id: later.id) == op.target)
        #expect(later.favorite)
    }
}
