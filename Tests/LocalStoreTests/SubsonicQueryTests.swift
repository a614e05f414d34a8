import Foundation
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
}
