import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing

/// The Subsonic door's searches and album pages, rewritten for speed (decision 0026, "Speed"),
/// answer the same rows as the plain listings they page through.
@Suite("Subsonic queries: artist search and album pages")
struct SubsonicQueryTests {
    func library() throws -> Library {
        let library = try Library.inMemory()
        let credits: [(String, String)] = [("Courtney Love", "Live"), ("Love Unlimited", "Under the Influence"), ("The Lovers", "Lovesick"),
                                           ("Abba", "Arrival"), ("Abba", "Voulez-Vous"), ("Glove", "Blue Sunshine"), ("Nobody", "Else")]
        var tracks: [ScannedTrack] = []
        for (i, (artist, album)) in credits.enumerated() {
            for n in 1...2 { tracks.append(ScannedTrack(uid: "t\(i)-\(n)", title: "Song \(n)", artist: artist, album: album, trackNumber: n)) }
        }
        try library.scan(tracks)
        return library
    }

    @Test("Given artists whose names hold a word, when search3 searches artists by it, then the answer is the full artist listing filtered by that word and paged, row for row")
    func artistSearchMatchesTheFilteredListing() throws {
        let library = try library()
        let all = try library.subsonicArtists()
        #expect(all.count == 6)
        for word in ["love", "LOVE", "o", "the", "", "zzz"] {
            let wanted = all.filter { word.isEmpty || $0.key.contains(TextKey.fold(word)) }
            for (limit, offset) in [(20, 0), (2, 1), (1, 3), (0, 0)] {
                let page = try library.searchArtists(word, limit: limit, offset: offset)
                #expect(page == Array(wanted.dropFirst(offset).prefix(limit)), "\(word) \(limit) \(offset)")
            }
        }
        #expect(try library.searchArtists("love", limit: 20, offset: 0).map(\.name) == ["Courtney Love", "Glove", "Love Unlimited", "The Lovers"])
        #expect(try library.searchArtists("abba", limit: 20, offset: 0).first?.albumCount == 2)
    }

    @Test("Given albums, when getAlbumList2 pages through them by name, then the pages put together are the whole list in order")
    func albumPagesFollowTheWholeList() throws {
        let library = try library()
        let whole = try library.subsonicAlbums(.alphabeticalByName, limit: 100, offset: 0)
        #expect(whole.map(\.title) == ["Arrival", "Blue Sunshine", "Else", "Live", "Lovesick", "Under the Influence", "Voulez-Vous"])
        var paged: [SubsonicAlbumRow] = []
        for offset in stride(from: 0, to: 8, by: 3) { paged += try library.subsonicAlbums(.alphabeticalByName, limit: 3, offset: offset) }
        #expect(paged == whole)
        #expect(whole.allSatisfy { $0.songCount == 2 })
    }

    @Test("Given the album rows kept for getAlbumList2, when an album is starred, a track played, or a rescan renames an album, then the next pages show the change, as the album's own read does")
    func keptAlbumRowsFollowEveryChange() throws {
        let library = try library()
        // The page a request reads directly, and the rows of each album read alone.
        func page() throws -> [SubsonicAlbumRow] { try library.subsonicAlbums(.alphabeticalByName, limit: 100, offset: 0) }
        func alone(_ rows: [SubsonicAlbumRow]) throws -> [SubsonicAlbumRow] { try rows.map { try #require(try library.subsonicAlbum(key: $0.key)?.album) } }
        // The first request reads its page, the second keeps every album's rows, the third uses them.
        let first = try page()
        #expect(!library.albumSummaries.isCurrent)
        #expect(try page() == first)
        #expect(library.albumSummaries.isCurrent)
        #expect(try page() == first)
        #expect(try alone(first) == first)

        let arrival = try #require(first.first { $0.title == "Arrival" })
        try library.record(.favoriteAlbum(key: arrival.key, true), at: at(1_700_000_000_000))
        #expect(!library.albumSummaries.isCurrent)
        for _ in 0..<3 {
            let rows = try page()
            #expect(rows.first { $0.key == arrival.key }?.starred == Date(timeIntervalSince1970: 1_700_000_000))
            #expect(try alone(rows) == rows)
        }
        #expect(library.albumSummaries.isCurrent)

        try library.record(.played(TrackUID(rawValue: "t3-1")))
        for _ in 0..<3 {
            let rows = try page()
            #expect(rows.first { $0.key == arrival.key }?.playCount == 1)
            #expect(try alone(rows) == rows)
        }

        // A rescan that renames Voulez-Vous (its tracks' album tag) to "Aaa".
        try library.scan([ScannedTrack(uid: "t4-1", title: "Song 1", artist: "Abba", album: "Aaa", trackNumber: 1, file: "Voulez-Vous/t4-1.flac"),
                          ScannedTrack(uid: "t4-2", title: "Song 2", artist: "Abba", album: "Aaa", trackNumber: 2, file: "Voulez-Vous/t4-2.flac")],
                         inode: 9)
        #expect(!library.albumSummaries.isCurrent)
        for _ in 0..<3 {
            let rows = try page()
            #expect(rows.first?.title == "Aaa")
            #expect(!rows.contains { $0.title == "Voulez-Vous" })
            #expect(try alone(rows) == rows)
        }

        // A scan's batch that changes only a track of an album that stays (its length): the album
        // row is not rewritten, only the track's, which the scan writes directly (DirectStatement);
        // seen before the scan's end (`finishScan`), which rewrites every album's artwork.
        try library.scan([ScannedTrack(uid: "t4-1", title: "Song 1", artist: "Abba", album: "Aaa", trackNumber: 1,
                                       durationMs: 600_000, file: "Voulez-Vous/t4-1.flac")], inode: 9, finish: false)
        #expect(!library.albumSummaries.isCurrent)
        for _ in 0..<3 {
            let rows = try page()
            let aaa = try #require(rows.first { $0.title == "Aaa" })
            #expect(aaa.durationMs == 600_000 + 180_000)
            #expect(try alone(rows) == rows)
        }
    }

    @Test("Given the migrated schema, when getAlbumList2 lists albums by name or by artist, then SQLite walks an index instead of sorting every album")
    func alphabeticalListsWalkAnIndex() throws {
        let library = try library()
        for order in ["album.title COLLATE NOCASE, album.id", "album.albumArtist COLLATE NOCASE, album.title COLLATE NOCASE, album.id"] {
            let plan = try library.writer.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT album.id FROM album WHERE 1 ORDER BY \(order) LIMIT 50 OFFSET 100")
                    .map { $0["detail"] as String }
            }
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(order): \(plan)")
            #expect(plan.contains { $0.contains("Nocase") }, "\(order): \(plan)")
        }
    }

    @Test("Given the kept keys of search3 (decision 0026, third round), when artists and albums are searched with accents, case, SQL wildcards, several words and pages, then the rows are those of SQLite's LIKE, in the same order, before and after a rescan renames them")
    func keptSearchKeysMatchLike() throws {
        let library = try Library.inMemory()
        let credits: [(String, String)] = [("Björk", "Homogenic"), ("BJORK tribute", "Post_Modern"), ("Sigur Rós", "Ágætis byrjun"),
                                           ("AC/DC", "100% Rock"), ("東京事変", "教育"), ("The Lovers", "Love & Hate"), ("Glove", "Lovesick Blues")]
        var tracks: [ScannedTrack] = []
        for (i, (artist, album)) in credits.enumerated() {
            tracks.append(ScannedTrack(uid: "k\(i)", title: "Song", artist: artist, album: album, trackNumber: 1))
        }
        try library.scan(tracks)
        let words = ["bjork", "BJÖRK", "rós", "ros", "%", "_", "100%", "post_m", "ac/dc", "東京", "教", "love", "LOVE s", "e", "", "zzz", "o v", "\\"]
        let pages = [(20, 0), (2, 1), (1, 3), (0, 0), (500, 2_147_483_647)]
        // SQLite's LIKE, as the door asked it before the keys were kept.
        func likeAlbumIDs(_ text: String, _ limit: Int, _ offset: Int) throws -> [Int64] {
            let (condition, arguments) = Library.containsAll(column: "album.albumKey", text)
            return try library.writer.read { db in
                try Int64.fetchAll(db, sql: "SELECT album.id FROM album WHERE \(condition) ORDER BY album.albumKey, album.id LIMIT ? OFFSET ?",
                                   arguments: arguments + [limit, offset])
            }
        }
        func check(_ step: String) throws {
            // Artists are read with SQL while the rows are not kept (this suite's other test checks that path).
            #expect(library.albumSummaries.current() == nil)
            var artists: [String: [SubsonicArtistRow]] = [:]
            for word in words { for (limit, offset) in pages { artists["\(word) \(limit) \(offset)"] = try library.searchArtists(word, limit: limit, offset: offset) } }
            for _ in 0..<2 { _ = try library.subsonicAlbums(.alphabeticalByName, limit: 1, offset: 0) }
            #expect(library.albumSummaries.current() != nil, "\(step)")
            var matched = 0
            for word in words {
                for (limit, offset) in pages {
                    let kept = try library.searchArtists(word, limit: limit, offset: offset)
                    #expect(kept == artists["\(word) \(limit) \(offset)"], "\(step): artists \(word) \(limit) \(offset)")
                    let albums = try library.searchAlbums(word, limit: limit, offset: offset)
                    #expect(albums.map(\.id) == (try likeAlbumIDs(word, limit, offset)), "\(step): albums \(word) \(limit) \(offset)")
                    matched += kept.count + albums.count
                }
            }
            #expect(matched > 40, "\(step): the words find something")
        }
        try check("first scan")
        #expect(try library.searchArtists("bjork", limit: 20, offset: 0).map(\.name) == ["Björk", "BJORK tribute"])
        #expect(try library.searchAlbums("100%", limit: 20, offset: 0).map(\.title) == ["100% Rock"])
        #expect(try library.searchAlbums("_", limit: 20, offset: 0).map(\.title) == ["Post_Modern"])
        // The songs' album ids, answered from the kept rows.
        func keysMatchRows() throws -> [Int64: String] {
            let all = try library.searchAlbums("", limit: 500, offset: 0)
            let keys = try library.albumKeys(ids: Set(all.map(\.id)))
            #expect(keys == Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0.key) }))
            return keys
        }
        #expect(try keysMatchRows().count == credits.count)

        // A rescan renames an artist and an album: the kept keys follow.
        try library.scan([ScannedTrack(uid: "k0", title: "Song", artist: "Bjork Again", album: "Debut", trackNumber: 1, file: "Homogenic/k0.flac")],
                         inode: 1, finish: false)
        try check("after the rescan")
        #expect(try library.searchArtists("bjork", limit: 20, offset: 0).map(\.name) == ["Bjork Again", "BJORK tribute"])
        #expect(try library.searchAlbums("debut", limit: 20, offset: 0).count == 1)
        #expect(try keysMatchRows().values.contains { $0.hasPrefix("debut") })
    }
}
