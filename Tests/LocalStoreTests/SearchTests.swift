import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing
import TestSupport

@Suite("Searching the library")
struct SearchTests {
    @Test("Title matches rank above artist, album and other columns; an exact title ranks first")
    func ranking() throws {
        // Given the same word in a different column of each track
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Quiet Song", artist: "Nobody", album: "Nothing", genres: ["Zebra"]),
            TrackFixture(title: "Other Song", artist: "Nobody", album: "Zebra"),
            TrackFixture(title: "Third Song", artist: "Zebra", album: "Nothing"),
            TrackFixture(title: "Zebra Song", artist: "Nobody", album: "Nothing"),
            TrackFixture(title: "Last", artist: "Nobody", album: "Nothing", composer: "Zebra"),
            TrackFixture(title: "Zebra", artist: "Nobody", album: "Nothing"),
        ])
        // When searching for it
        let titles = try library.titles("zebra")
        // Then the exact title comes first, then title, artist, album, and the rest
        #expect(Array(titles.prefix(4)) == ["Zebra", "Zebra Song", "Third Song", "Other Song"])
        #expect(Set(titles.suffix(2)) == ["Quiet Song", "Last"])
    }

    @Test("The last word is matched as a prefix, earlier words as whole words, all ANDed")
    func prefixes() throws {
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Hells Bells", artist: "AC/DC"),
            TrackFixture(title: "Hell Bent", artist: "Someone"),
            TrackFixture(title: "Bells of Hells", artist: "Another"),
        ])
        #expect(Set(try library.titles("hells be")) == ["Hells Bells", "Bells of Hells"])
        #expect(try library.titles("hell be") == ["Hell Bent"])
        #expect(try library.titles("ac/dc hel") == ["Hells Bells"])
        #expect(try library.search(SearchQuery(text: "hells be")).total == 2)
    }

    @Test("Case, diacritics and Unicode normalization are ignored, both ways")
    func folding() throws {
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Army of Me", artist: "Björk"),
            TrackFixture(title: "Makes No Sense", artist: "Hüsker Dü"),
            TrackFixture(title: "Nfd Stored", artist: "Mo\u{308}tley Cru\u{308}e"),
        ])
        #expect(try library.titles("bjork") == ["Army of Me"])
        #expect(try library.titles("BJÖRK") == ["Army of Me"])
        #expect(try library.titles("husker du") == ["Makes No Sense"])
        #expect(try library.titles("Mötley") == ["Nfd Stored"])
        #expect(try library.titles("Bjo\u{308}rk") == ["Army of Me"])
    }

    @Test("CJK and Cyrillic names are found by their beginning, in any position")
    func cjk() throws {
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Merry Christmas Mr. Lawrence", artist: "坂本龍一", album: "Coda"),
            TrackFixture(title: "Gruppa Krovi", artist: "Кино"),
        ])
        #expect(try library.titles("坂本") == ["Merry Christmas Mr. Lawrence"])
        #expect(try library.titles("坂本 coda") == ["Merry Christmas Mr. Lawrence"])
        #expect(try library.titles("кино") == ["Gruppa Krovi"])
    }

    @Test("Field filters restrict terms to a column; year, codec and compilation filter rows")
    func filters() throws {
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Paradise City", artist: "Guns N' Roses", album: "Appetite for Destruction",
                         genres: ["Hard Rock"], composer: "Slash", year: 1987, codec: "mp3"),
            TrackFixture(title: "Roses Song", artist: "Someone", album: "Guns", genres: ["Pop"], year: 1995),
            TrackFixture(title: "Appetite", artist: "Prefab Sprout", album: "Steve McQueen", albumArtist: "Various",
                         genres: ["Pop"], year: 2003, compilation: true),
        ])
        #expect(try library.titles(#"artist:"guns n roses""#) == ["Paradise City"])
        #expect(try library.titles("artist:guns") == ["Paradise City"])
        #expect(try library.titles("album:guns") == ["Roses Song"])
        #expect(try library.titles("title:appetite") == ["Appetite"])
        #expect(try library.titles("genre:rock") == ["Paradise City"])
        #expect(try library.titles("albumartist:various") == ["Appetite"])
        #expect(try library.titles("composer:slash") == ["Paradise City"])
        #expect(try library.titles("year:1987") == ["Paradise City"])
        #expect(Set(try library.titles("year:1980..1999")) == ["Paradise City", "Roses Song"])
        #expect(try library.titles("year:>=2000") == ["Appetite"])
        #expect(try library.titles("year:<1990") == ["Paradise City"])
        #expect(try library.titles("codec:mp3") == ["Paradise City"])
        #expect(try library.titles("is:compilation") == ["Appetite"])
        #expect(try library.titles("pop year:>=2000") == ["Appetite"])
        #expect(try library.search(SearchQuery(text: "year:1980..1999")).total == 2)
        // An unknown field is plain text
        try library.insertFixtures([TrackFixture(title: "foo bar")])
        #expect(try library.titles("foo:bar") == ["foo bar"])
    }

    @Test("No user input makes FTS5 fail, even random input")
    func fuzz() throws {
        // Given a small library
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Hells Bells", artist: "AC/DC"), TrackFixture(title: "Army of Me", artist: "Björk"),
        ])
        // When searching for nasty strings
        let fixed = ["", "\"", "\"\"", "\"a", "a\"", "*", "^", "(", ")", ":", "-", "NEAR", "NEAR(a b)", "AND", "OR", "NOT",
                     "a AND", "OR b", "NOT NOT", "a:b:c", "artist:", "artist:\"", ":\"x", "{title}: a", "title:*",
                     "🎸", "🎸🎸 rock", "\u{0}", "\\", "'", "a'b", "%", "_", "--", "/* */", "year:", "year:..", "year:>=",
                     String(repeating: "x", count: 10_240), String(repeating: "a ", count: 5_120),
                     String(repeating: "\"", count: 999), String(repeating: "(", count: 500)]
        for text in fixed {
            _ = try library.search(SearchQuery(text: text))
        }
        // And seeded random strings from an alphabet of FTS5 and SQL syntax
        let alphabet = Array("ab \"*^():-+{}[],.;'\\%_|!?🎸é坂\u{308}\u{0}\t").map(String.init)
            + ["NEAR", "AND", "OR", "NOT", "artist:", "year:", ".."]
        var generator = SplitMix(seed: 42)
        for _ in 0..<400 {
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                text += alphabet.randomElement(using: &generator)!
            }
            // Then nothing throws
            _ = try library.search(SearchQuery(text: text, limit: 5))
        }
    }

    @Test("An empty query lists the whole library by artist, album, disc and track, in pages")
    func emptyQuery() throws {
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "B2", artist: "beta", album: "X", disc: 1, track: 2, year: 2001, durationMs: 300, addedAt: 3),
            TrackFixture(title: "A1", artist: "Alpha", album: "Y", disc: 1, track: 1, year: 1999, durationMs: 100, addedAt: 1),
            TrackFixture(title: "B1", artist: "beta", album: "X", disc: 1, track: 1, year: 2000, durationMs: 200, addedAt: 2),
            TrackFixture(title: "B3", artist: "Beta", album: "X", disc: 2, track: 1, year: 1980, durationMs: 50, addedAt: 4),
        ])
        let all = try library.search(SearchQuery(text: ""))
        #expect(all.total == 4)
        #expect(all.tracks.map(\.title) == ["A1", "B1", "B2", "B3"])
        #expect(all.suggestion == nil)
        let page = try library.search(SearchQuery(text: "   ", limit: 2, offset: 1))
        #expect(page.total == 4)
        #expect(page.tracks.map(\.title) == ["B1", "B2"])
        #expect(try library.titles("", sort: .title, descending: true) == ["B3", "B2", "B1", "A1"])
        #expect(try library.titles("", sort: .year) == ["B3", "A1", "B1", "B2"])
        #expect(try library.titles("", sort: .added, descending: true) == ["B3", "B2", "B1", "A1"])
        #expect(try library.titles("", sort: .duration) == ["B3", "A1", "B1", "B2"])
        #expect(try library.titles("", sort: .album) == ["B1", "B2", "B3", "A1"])
        #expect(try library.titles("beta", sort: .duration, descending: true) == ["B2", "B1", "B3"])
        #expect(try library.search(SearchQuery(text: "", offset: 10)).tracks.isEmpty)
        #expect(try library.trackCount() == 4)
    }

    @Test("A query that finds nothing suggests the closest known words, only when that finds something")
    func didYouMean() throws {
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Paradise City", artist: "Guns N' Roses", album: "Appetite for Destruction"),
            TrackFixture(title: "Army of Me", artist: "Björk", album: "Post"),
        ])
        let appetite = try library.search(SearchQuery(text: "apetite"))
        #expect(appetite.total == 0)
        #expect(appetite.suggestion == "appetite")
        #expect(try library.search(SearchQuery(text: "bjrok")).suggestion == "bjork")
        #expect(try library.search(SearchQuery(text: "guns apetite year:1980..1990")).suggestion == nil)
        #expect(try library.search(SearchQuery(text: "army of mee")).suggestion == "army of me")
        #expect(try library.search(SearchQuery(text: "paradize citty")).suggestion == "paradise city")
        #expect(try library.search(SearchQuery(text: "zzzzzz")).suggestion == nil)
        #expect(try library.search(SearchQuery(text: "army")).suggestion == nil)
    }

    @Test("Among equally close words, the suggestion is the one found in more tracks")
    func suggestionTies() throws {
        // Given "ball" in three tracks and "bale" in one
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Ball One"), TrackFixture(title: "Ball Two"), TrackFixture(title: "Ball Three"),
            TrackFixture(title: "Bale"),
        ])
        // When a word one edit away from both finds nothing
        let results = try library.search(SearchQuery(text: "balx"))
        // Then the more frequent word is proposed
        #expect(results.total == 0)
        #expect(results.suggestion == "ball")
        #expect(try library.search(SearchQuery(text: "albm ball")).suggestion == nil, "no word starts like albm")
        #expect(try library.search(SearchQuery(text: "bxll")).suggestion == nil, "a wrong second character is not corrected")
        #expect(try library.search(SearchQuery(text: "blal")).suggestion == "ball", "a swapped second character is")
    }

    @Test("A track is read back by uid with every column decoded and its primary file's path")
    func trackByUID() throws {
        let library = try Library.inMemory()
        try library.insertFixtures([TrackFixture(title: "Army of Me", artist: "Björk", genres: ["Pop", "Trip Hop"], uid: "u1")])
        try library.writer.write { db in
            try db.execute(sql: "INSERT INTO root (id, path) VALUES (1, X'2F6D75736963')")
            try db.execute(sql: """
                INSERT INTO file (id, rootId, relPath, size, mtimeNs, ctimeNs, inode, device, trackId, scannedAt)
                VALUES (7, 1, X'622F636F70792E666C6163', 1, 0, 0, 2, 1, 1, 0),
                       (5, 1, X'612FFF2E666C6163', 1, 0, 0, 1, 1, 1, 0)
                """)
            try db.execute(sql: """
                UPDATE track SET replayGain = '{"trackGain":-6.5,"albumPeak":0.9}',
                    musicBrainz = '{"recordingId":"rec","artistIds":["a1"],"albumArtistIds":[]}', artworkId = NULL
                WHERE uid = 'u1'
                """)
        }
        let track = try #require(try library.track(uid: TrackUID(rawValue: "u1")))
        #expect(track.title == "Army of Me")
        #expect(track.artists == ["Björk"])
        #expect(track.genres == ["Pop", "Trip Hop"])
        #expect(track.replayGain == ReplayGain(trackGain: -6.5, albumPeak: 0.9))
        #expect(track.musicBrainz?.recordingId == "rec")
        #expect(track.musicBrainz?.artistIds == ["a1"])
        #expect(track.path == "a/\u{FFFD}.flac")
        #expect(!track.hasArtwork)
        #expect(track.addedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(try library.track(uid: TrackUID(rawValue: "nope")) == nil)
        #expect(try library.search(SearchQuery(text: "army")).tracks == [track])
    }

    @Test("A broad query (more matches than bm25 ranks) puts the exact title, then title matches, then the rest; totals stay exact")
    func broadQuery() throws {
        // Given more tracks matching "s" than the bm25 limit, some only through their artist
        let library = try Library.inMemory()
        var fixtures = (0..<5).map { TrackFixture(title: "Other \($0)", artist: "Sam") }
        let songs = Library.bm25RankLimit * 2 + 101
        func song(_ i: Int) -> String { "Song \(String(format: "%05d", i))" }
        fixtures += (0..<songs).map { TrackFixture(title: song($0), artist: "Singer", year: $0 % 2 == 0 ? 2000 : 1990) }
        fixtures.insert(TrackFixture(title: "S", artist: "Zed"), at: 200)
        try library.insertFixtures(fixtures)
        let total = songs + 6
        // When searching for a one-letter prefix, page by page
        let first = try library.search(SearchQuery(text: "s", limit: 3))
        let second = try library.search(SearchQuery(text: "s", limit: 3, offset: 3))
        let last = try library.search(SearchQuery(text: "s", limit: 10, offset: total - 6))
        // Then the exact title is first, title matches follow (newest first), artist-only matches
        // come last, and the total is exact
        #expect(first.total == total)
        #expect(first.tracks.map(\.title) == ["S", song(songs - 1), song(songs - 2)])
        #expect(second.tracks.map(\.title) == [song(songs - 3), song(songs - 4), song(songs - 5)])
        #expect(last.tracks.map(\.title) == [song(0), "Other 4", "Other 3", "Other 2", "Other 1", "Other 0"])
        #expect(try library.titles("s", limit: 2, sort: .title, descending: true) == [song(songs - 1), song(songs - 2)])
        #expect(try library.titles("s year:1980").isEmpty)
        // And SQL filters apply to every tier (songs - 1 is even: its year is 2000); "s" is last, so a prefix
        let filtered = try library.search(SearchQuery(text: "year:1990 s", limit: 2))
        #expect(filtered.total == songs / 2)
        #expect(filtered.tracks.map(\.title) == [song(songs - 2), song(songs - 4)])
        // A field term alone is a listing, in library order (artist "Sam" before "Singer").
        #expect(try library.titles("artist:s", limit: 1) == ["Other 0"])
        #expect(Set(try library.titles("artist:sam s")) == Set((0..<5).map { "Other \($0)" }))
        #expect(try library.titles("artist:singer s", limit: 1, offset: songs - 1) == [song(0)])
    }
}


@Suite("Filter-only searches list in library order")
struct SearchFilterOrderTests {
    /// One album of ten tracks, and a two-disc album, inserted out of order, plus a compilation
    /// and untagged tracks.
    static func library() throws -> Library {
        let library = try Library.inMemory()
        var fixtures: [TrackFixture] = []
        for number in [5, 10, 3, 1, 8, 2, 9, 4, 7, 6] {
            // Titles that rank differently under bm25 (some repeat the album's word).
            fixtures.append(TrackFixture(title: number % 3 == 0 ? "Homogenic Homogenic \(number)" : "Song \(number)",
                                         artist: "Björk", album: "Homogenic", genres: ["Art Pop"], track: number))
        }
        for (disc, number) in [(2, 1), (1, 2), (2, 2), (1, 1), (1, 3)] {
            fixtures.append(TrackFixture(title: "Sigur \(disc)-\(number)", artist: "Sigur Rós", album: "Hvarf-Heim",
                                         genres: ["Post-Rock"], disc: disc, track: number))
        }
        for (number, artist) in [(3, "Zed"), (1, "Amy"), (2, "Moby")] {
            fixtures.append(TrackFixture(title: "Comp \(number)", artist: artist, album: "Hits", albumArtist: "Various Artists",
                                         track: number, compilation: true))
        }
        fixtures.append(TrackFixture(title: "Untagged A"))
        fixtures.append(TrackFixture(title: "Untagged B"))
        try library.insertFixtures(fixtures)
        return library
    }

    @Test("Given field filters only, when searched, then tracks come in artist, album, disc, track order")
    func fieldFiltersInAlbumOrder() throws {
        let library = try Self.library()
        let album = try library.search(SearchQuery(text: "album:homogenic", limit: 20)).tracks.map { $0.trackNumber ?? 0 }
        #expect(album == Array(1...10))
        let sigur = try library.search(SearchQuery(text: #"artist:"sigur ros""#, limit: 20)).tracks.map { "\($0.discNumber ?? 0)-\($0.trackNumber ?? 0)" }
        #expect(sigur == ["1-1", "1-2", "1-3", "2-1", "2-2"])
        let genre = try library.search(SearchQuery(text: #"genre:"art pop""#, limit: 20)).tracks.map { $0.trackNumber ?? 0 }
        #expect(genre == Array(1...10))
    }

    @Test("Given a compilation, when listed with is:compilation, then its tracks stay in album order")
    func compilationInAlbumOrder() throws {
        let library = try Self.library()
        #expect(try library.titles("is:compilation") == ["Comp 1", "Comp 2", "Comp 3"])
    }

    @Test("Given untagged tracks, when the library is listed by artist or album, then they come last")
    func untaggedLast() throws {
        let library = try Self.library()
        let all = try library.titles("", limit: 100)
        #expect(all.suffix(2) == ["Untagged A", "Untagged B"])
        #expect(all.first == "Song 1")
        let byAlbum = try library.titles("", limit: 100, sort: .album)
        #expect(byAlbum.suffix(2) == ["Untagged A", "Untagged B"])
        #expect(try library.titles("", limit: 2, sort: .artist) == ["Song 1", "Song 2"])
    }
}
