import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing

@Suite("User data: the one write path")
struct UserDataTests {
    static let tracks = [
        ScannedTrack(uid: "u1", title: "Blue Monday", artist: "New Order", album: "Power", trackNumber: 1),
        ScannedTrack(uid: "u2", title: "Age of Consent", artist: "New Order", album: "Power", trackNumber: 2),
        ScannedTrack(uid: "u3", title: "Atmosphere", artist: "Joy Division", album: "Closer", trackNumber: 1),
    ]

    func library() throws -> Library {
        let library = try Library.inMemory()
        try library.scan(Self.tracks)
        return library
    }

    @Test("Given a new library, when asked twice for its device id, then it is the same 16-hex-digit id")
    func deviceIDIsStable() throws {
        let library = try Library.inMemory()
        let id = try library.deviceID()
        #expect(id.count == 16)
        #expect(try library.deviceID() == id)
        #expect(try Library.inMemory().deviceID() != id)
    }

    @Test("Given a track, when it is favorited, then the log has one op and the record says favorite; unfavoriting clears it")
    func favorites() throws {
        let library = try library()
        let ops = try library.record(.favorite(.t("u1"), true), at: at(1_000))
        #expect(ops.map(\.kind) == [.favoriteAdd])
        #expect(try library.record(.favorite(.t("u1"), true), at: at(1_001)).isEmpty)
        #expect(try library.track(uid: .t("u1"))?.favorite == true)
        #expect(try library.userState(uid: .t("u1")).favorite)
        let removal = try library.record(.favorite(.t("u1"), false), at: at(1_002))
        guard case .favoriteRemove(let ids) = removal.first?.payload, case .favoriteAdd(let added) = ops[0].payload else {
            Issue.record("expected a removal of the added item")
            return
        }
        #expect(ids == [added])
        #expect(try library.track(uid: .t("u1"))?.favorite == false)
        #expect(try library.operations(after: 0).count == 2)
    }

    @Test("Given a rating, when it is changed and removed, then the record follows and out-of-range ratings are refused")
    func ratings() throws {
        let library = try library()
        try library.record(.rate(.t("u2"), 4), at: at(1_000))
        #expect(try library.track(uid: .t("u2"))?.rating == 4)
        try library.record(.rate(.t("u2"), nil), at: at(1_001))
        #expect(try library.track(uid: .t("u2"))?.rating == nil)
        #expect(throws: StoreError.self) { try library.record(.rate(.t("u2"), 6)) }
        #expect(throws: StoreError.self) { try library.record(.rate(.t("nope"), 3)) }
    }

    @Test("Given two plays, when the track is read, then its play count is 2 and lastPlayed the second play")
    func plays() throws {
        let library = try library()
        try library.record(.played(.t("u3")), at: at(10_000))
        try library.record(.played(.t("u3")), at: at(20_000))
        let track = try #require(try library.track(uid: .t("u3")))
        #expect(track.playCount == 2)
        #expect(track.lastPlayed == at(20_000))
    }

    @Test("Given a title override, when searching, then the new title is found at once and the old one is not; a reset restores the file's")
    func overrideVisibleInSearch() throws {
        let library = try library()
        try library.record(.setOverrides(.t("u1"), [.title: .text("  Blue Tuesday "), .year: .integer(1983)]), at: at(1_000))
        let hits = try library.search(SearchQuery(text: "tuesday")).tracks
        #expect(hits.map(\.uid) == [.t("u1")])
        #expect(hits.first?.title == "Blue Tuesday")
        #expect(hits.first?.year == 1983)
        #expect(try library.search(SearchQuery(text: "monday")).total == 0)
        let state = try library.userState(uid: .t("u1"))
        #expect(state.overrides[.title] == .text("Blue Tuesday"))
        #expect(state.fileTags?.title == "Blue Monday")

        try library.record(.setOverride(.t("u1"), .title, nil), at: at(2_000))
        #expect(try library.search(SearchQuery(text: "monday")).tracks.map(\.uid) == [.t("u1")])
        #expect(try library.search(SearchQuery(text: "tuesday")).total == 0)
        #expect(try library.track(uid: .t("u1"))?.year == 1983)
        #expect(try library.userState(uid: .t("u1")).overrides[.title] == nil)
    }

    @Test("Given an artist and album override, when browsing, then the track moves to the new album and artist and the empty ones go")
    func overrideMovesAlbum() throws {
        let library = try library()
        try library.record(.setOverrides(.t("u3"), [.album: .text("Unknown Pleasures"), .artist: .text("Warsaw"),
                                                     .albumArtist: .text("Warsaw"), .genres: .list(["Post-Punk", "post-punk"])]),
                           at: at(1_000))
        let track = try #require(try library.track(uid: .t("u3")))
        #expect(track.album == "Unknown Pleasures")
        #expect(track.artists == ["Warsaw"])
        #expect(track.genres == ["Post-Punk"])
        let (albums, artists) = try library.writer.read { db in
            (try String.fetchAll(db, sql: "SELECT title FROM album ORDER BY title"),
             try String.fetchAll(db, sql: "SELECT name FROM artist ORDER BY name"))
        }
        #expect(albums == ["Power", "Unknown Pleasures"])
        #expect(artists == ["New Order", "Warsaw"])
        #expect(try library.search(SearchQuery(text: "album:pleasures")).total == 1)
    }

    @Test("Given overrides, when the file is scanned again, then the edits stay and the file tags are updated underneath")
    func rescanKeepsOverrides() throws {
        let library = try library()
        try library.record(.setOverride(.t("u2"), .title, .text("Consent")), at: at(1_000))
        var changed = Self.tracks[1]
        changed.album = "Power, Corruption & Lies"
        changed.file = "Power/u2.flac" // the same file, re-tagged
        try library.scan([changed], inode: 2)
        let track = try #require(try library.track(uid: .t("u2")))
        #expect(track.title == "Consent")
        #expect(track.album == "Power, Corruption & Lies")
        #expect(try library.userState(uid: .t("u2")).fileTags?.album == "Power, Corruption & Lies")
        #expect(try library.search(SearchQuery(text: "consent")).total == 1)
        try library.record(.setOverride(.t("u2"), .title, nil), at: at(2_000))
        #expect(try library.track(uid: .t("u2"))?.title == "Age of Consent")
    }

    @Test("Given bad values, when recorded, then the change is refused with store.invalid and nothing is logged")
    func validation() throws {
        let library = try library()
        let bad: [(TrackField, TrackFieldValue)] = [
            (.title, .text("   ")), (.year, .text("1999")), (.year, .integer(12_000)), (.bpm, .number(-3)),
            (.genres, .list(["ok", ""])), (.title, .text(String(repeating: "x", count: 501))), (.trackNumber, .number(1.5)),
        ]
        for (field, value) in bad {
            #expect(throws: StoreError.self) { try library.record(.setOverride(.t("u1"), field, value)) }
            do { try library.record(.setOverride(.t("u1"), field, value)) } catch { #expect(error.reason == .invalid) }
        }
        #expect(try library.operations(after: 0).isEmpty)
    }

    @Test("Given an operation for a track this device lacks, when applied, then it waits and takes effect when the track is scanned")
    func pendingOperationsApplyWhenTrackAppears() throws {
        let other = try Library.inMemory()
        try other.scan([ScannedTrack(uid: "later", title: "Original")])
        let ops = try other.record(.setOverride(.t("later"), .title, .text("Edited elsewhere")), at: at(1_000))
            + other.record(.favorite(.t("later"), true), at: at(1_001))

        let library = try library()
        #expect(try library.apply(remote: ops) == 2)
        #expect(try library.track(uid: .t("later")) == nil)
        try library.scan([ScannedTrack(uid: "later", title: "Original")], inode: 100)
        let track = try #require(try library.track(uid: .t("later")))
        #expect(track.title == "Edited elsewhere")
        #expect(track.favorite)
        #expect(try library.search(SearchQuery(text: "elsewhere")).total == 1)
    }

    @Test("Given the log, when operations are read back, then they round-trip through JSON and a duplicate apply is a no-op")
    func logRoundTrip() throws {
        let library = try library()
        try library.record(.setOverrides(.t("u1"), [.bpm: .integer(120), .genres: .list(["Synth-pop"])]), at: at(5_000))
        try library.record(.rate(.t("u1"), 5), at: at(5_000))
        let logged = try library.operations(after: 0)
        #expect(logged.map(\.seq) == [1, 2, 3])
        #expect(logged[0].operation.hlc < logged[1].operation.hlc)
        #expect(logged[1].operation.hlc < logged[2].operation.hlc)
        let data = try JSONEncoder().encode(logged.map(\.operation))
        let decoded = try JSONDecoder().decode([UserOperation].self, from: data)
        #expect(decoded == logged.map(\.operation))
        #expect(try library.apply(remote: decoded) == 0)
        #expect(try library.operations(after: 1, limit: 1).map(\.seq) == [2])
    }
}

@Suite("User data: migration v3-user-data")
struct UserDataMigrationTests {
    @Test("Given a library made before v3, when it is opened, then its tracks get fileTags from their columns and can be edited and reset")
    func upgradesExistingLibrary() throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: config)
        try Schema.migrator().migrate(queue, upTo: "v2-search-indexes")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO track(uid, title, titleKey, artist, artists, genres, year, codec, container, fileName, addedAt, updatedAt)
                VALUES ('old', 'Old Song', 'old song', 'Someone', '["Someone"]', '["Folk"]', 1970, 'mp3', 'mp3', 'old.mp3', 0, 0);
                INSERT INTO trackFts(trackFts) VALUES('rebuild');
                """)
        }
        let library = try Library(writer: queue)
        let fileTags = try #require(try library.userState(uid: .t("old")).fileTags)
        #expect(fileTags.title == "Old Song")
        #expect(fileTags.artists == ["Someone"])
        #expect(fileTags.genres == ["Folk"])
        #expect(fileTags.year == 1970)
        #expect(fileTags.titleFromFileName == false)
        try library.record(.setOverride(.t("old"), .title, .text("New Song")), at: at(1_000))
        #expect(try library.search(SearchQuery(text: "new song")).total == 1)
        try library.record(.setOverride(.t("old"), .title, nil), at: at(2_000))
        #expect(try library.track(uid: .t("old"))?.title == "Old Song")
        #expect(try library.search(SearchQuery(text: "old song")).total == 1)
    }
}
