import Foundation
@testable import LocalStore
import OmniModel
import Testing

@Suite("Browsing: albums, artists, genres, years, recent additions, favorites")
struct UserDataBrowseTests {
    func library() throws -> Library {
        let library = try Library.inMemory()
        try library.scan([
            ScannedTrack(uid: "b1", title: "Two", artist: "Alpha", album: "First", year: 1990, genres: ["Rock"], trackNumber: 2),
            ScannedTrack(uid: "b2", title: "One", artist: "Alpha", album: "First", year: 1990, genres: ["Rock", "Pop"], trackNumber: 1),
            ScannedTrack(uid: "b3", title: "Solo", artist: "Beta", album: "Second", year: 2005, genres: ["Jazz"], trackNumber: 1),
        ])
        return library
    }

    @Test("Given a small library, when albums, artists, genres and years are listed, then counts, orders and pages are right")
    func listings() throws {
        let library = try library()
        let albums = try library.albums()
        #expect(albums.total == 2)
        #expect(albums.items.map(\.title) == ["First", "Second"])
        #expect(albums.items[0].trackCount == 2)
        #expect(albums.items[0].durationMs == 360_000)
        #expect(try library.albums(limit: 1, offset: 1, sort: .year, descending: true).items.map(\.title) == ["First"])
        let first = try #require(try library.album(id: albums.items[0].id))
        #expect(first.tracks.map(\.title) == ["One", "Two"])

        let artists = try library.artists()
        #expect(artists.items.map(\.name) == ["Alpha", "Beta"])
        #expect(artists.items[0].albumCount == 1)
        #expect(artists.items[0].trackCount == 2)
        #expect(try library.artist(id: artists.items[1].id)?.albums.map(\.title) == ["Second"])

        let genres = try library.genres()
        #expect(genres.items.map(\.name) == ["Jazz", "Pop", "Rock"])
        #expect(genres.items.map(\.trackCount) == [1, 1, 2])
        #expect(try library.tracks(genre: genres.items[2].id).items.map(\.title) == ["One", "Two"])

        #expect(try library.years().items == [YearSummary(year: 2005, trackCount: 1), YearSummary(year: 1990, trackCount: 2)])
        #expect(try library.tracks(year: 2005).items.map(\.title) == ["Solo"])
        #expect(try library.recentlyAdded(limit: 2).total == 3)
    }

    @Test("Given an edit of a track's year and genre, when browsing, then the listings show the effective values")
    func listingsFollowEdits() throws {
        let library = try library()
        try library.record(.setOverrides(.t("b3"), [.year: .integer(1990), .genres: .list(["Rock"])]), at: at(1_000))
        #expect(try library.years().items == [YearSummary(year: 1990, trackCount: 3)])
        #expect(try library.genres().items.map(\.name) == ["Pop", "Rock"])
        try library.record(.setOverride(.t("b1"), .year, .integer(1989)), at: at(1_500))
        #expect(try library.albums(sort: .year).items.map(\.year) == [1989, 1990])
        try library.record(.favorite(.t("b2"), true), at: at(2_000))
        try library.record(.favorite(.t("b3"), true), at: at(3_000))
        #expect(try library.favorites().items.map(\.title) == ["Solo", "One"])
    }
}
