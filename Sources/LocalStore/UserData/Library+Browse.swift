import Foundation
import GRDB
import OmniModel

/// One page of a listing and the size of the whole listing.
public struct Page<Item: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
    public var items: [Item]
    public var total: Int
}

/// An album in a listing.
public struct AlbumSummary: Sendable, Equatable, Codable {
    public var id: Int64
    public var title: String
    /// The album artist ("Various Artists" for a compilation without one).
    public var albumArtist: String?
    public var year: Int?
    public var compilation: Bool
    /// The album's picture (embedded in one of its tracks, or its folder's), for `/artwork`.
    public var artworkId: Int64?
    public var trackCount: Int
    public var durationMs: Int
    /// True when the user starred the album (on any device: `album.favorite`, decision 0026).
    public var favorite: Bool
}

/// An album with its tracks in disc and track order.
public struct AlbumDetail: Sendable, Equatable, Codable {
    public var album: AlbumSummary
    public var tracks: [TrackRecord]
}

/// An artist in a listing (anyone credited as artist or album artist).
public struct ArtistSummary: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    /// Albums with at least one track by or credited to the artist.
    public var albumCount: Int
    public var trackCount: Int
    /// True when the user starred the artist (on any device: `artist.favorite`, decision 0026).
    public var favorite: Bool
}

/// An artist with their albums (by year, then title).
public struct ArtistDetail: Sendable, Equatable, Codable {
    public var artist: ArtistSummary
    public var albums: [AlbumSummary]
}

/// A genre and how many tracks have it.
public struct GenreSummary: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var trackCount: Int
}

/// A release year and how many tracks have it.
public struct YearSummary: Sendable, Equatable, Codable {
    public var year: Int
    public var trackCount: Int
}

/// Orders of the album listing.
public enum AlbumSort: String, Sendable, CaseIterable, Codable {
    /// By title (case-insensitive).
    case title
    /// By album artist, then year, then title.
    case artist
    /// By year, then title.
    case year
    /// Newest addition first (the reverse with `descending: false` is oldest first).
    case added
}

// Browsing listings for the API. Every listing reads the effective values (edits included) and
// is paged with `limit` (clamped to 0...1,000) and `offset`. Synchronous, one read each; any thread.
extension Library {
    private static func clampPage(_ limit: Int, _ offset: Int) -> (Int, Int) { (min(max(limit, 0), 1000), max(offset, 0)) }

    private static let albumColumns = """
        album.id, album.title, album.albumArtist, album.year, album.compilation, album.artworkId,
        (SELECT count(*) FROM track WHERE track.albumId = album.id),
        (SELECT coalesce(sum(durationMs), 0) FROM track WHERE track.albumId = album.id),
        EXISTS (SELECT 1 FROM albumFavorite f WHERE f.albumKey = album.albumKey AND f.favorite)
        """

    private static func albumSummary(_ row: Row) -> AlbumSummary {
        AlbumSummary(id: row[0], title: row[1], albumArtist: row[2], year: row[3], compilation: row[4], artworkId: row[5],
                     trackCount: row[6], durationMs: row[7], favorite: row[8])
    }

    /// Albums, paged, in the given order (ties by id).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func albums(limit: Int = 50, offset: Int = 0, sort: AlbumSort = .title, descending: Bool = false) throws(StoreError) -> Page<AlbumSummary> {
        let (limit, offset) = Self.clampPage(limit, offset)
        let dir = descending ? " DESC" : ""
        let order = switch sort {
        case .title: "album.title COLLATE NOCASE\(dir), album.id\(dir)"
        case .artist: "album.albumArtist COLLATE NOCASE\(dir), album.year\(dir), album.title COLLATE NOCASE\(dir), album.id\(dir)"
        case .year: "album.year\(dir), album.title COLLATE NOCASE\(dir), album.id\(dir)"
        case .added: "(SELECT max(addedAt) FROM track WHERE track.albumId = album.id)\(descending ? "" : " DESC"), album.id"
        }
        return try read("listing albums") { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM album") ?? 0
            // The page's ids first, then the per-album counts for those rows only: with the
            // counts in the sorted query SQLite computes them for every album before sorting.
            let items = try Row.fetchAll(db, sql: """
                WITH page(id, n) AS (SELECT album.id, row_number() OVER (ORDER BY \(order)) FROM album
                                     ORDER BY \(order) LIMIT ? OFFSET ?)
                SELECT \(Self.albumColumns) FROM page JOIN album ON album.id = page.id ORDER BY page.n
                """, arguments: [limit, offset]).map(Self.albumSummary)
            return Page(items: items, total: total)
        }
    }

    /// An album and its tracks in disc and track order, or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func album(id: Int64) throws(StoreError) -> AlbumDetail? {
        try read("reading an album") { db in
            guard let album = try Row.fetchOne(db, sql: "SELECT \(Self.albumColumns) FROM album WHERE id = ?", arguments: [id])
                .map(Self.albumSummary) else { return nil }
            let tracks = try Row.fetchAll(db, sql: """
                SELECT \(TrackRecord.selection()) FROM track WHERE albumId = ?
                ORDER BY coalesce(discNumber, 0), coalesce(trackNumber, 0), titleKey, id
                """, arguments: [id]).map(TrackRecord.init(row:))
            return AlbumDetail(album: album, tracks: tracks)
        }
    }

    private static let artistColumns = """
        artist.id, artist.name,
        (SELECT count(DISTINCT track.albumId) FROM trackArtist ta JOIN track ON track.id = ta.trackId
         WHERE ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist')),
        (SELECT count(DISTINCT ta.trackId) FROM trackArtist ta WHERE ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist')),
        EXISTS (SELECT 1 FROM artistFavorite f WHERE f.nameKey = artist.nameKey AND f.favorite)
        """

    private static func artistSummary(_ row: Row) -> ArtistSummary {
        ArtistSummary(id: row[0], name: row[1], albumCount: row[2], trackCount: row[3], favorite: row[4])
    }

    /// Artists credited as artist or album artist (composers only are left out), by name.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func artists(limit: Int = 50, offset: Int = 0) throws(StoreError) -> Page<ArtistSummary> {
        let (limit, offset) = Self.clampPage(limit, offset)
        return try read("listing artists") { db in
            let credited = "EXISTS (SELECT 1 FROM trackArtist ta WHERE ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist'))"
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM artist WHERE \(credited)") ?? 0
            let items = try Row.fetchAll(db, sql: """
                SELECT \(Self.artistColumns) FROM artist WHERE \(credited)
                ORDER BY artist.nameKey, artist.id LIMIT ? OFFSET ?
                """, arguments: [limit, offset]).map(Self.artistSummary)
            return Page(items: items, total: total)
        }
    }

    /// An artist and the albums with a track by or credited to them (by year, then title), or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func artist(id: Int64) throws(StoreError) -> ArtistDetail? {
        try read("reading an artist") { db in
            guard let artist = try Row.fetchOne(db, sql: "SELECT \(Self.artistColumns) FROM artist WHERE id = ?", arguments: [id])
                .map(Self.artistSummary) else { return nil }
            let albums = try Row.fetchAll(db, sql: """
                SELECT \(Self.albumColumns) FROM album WHERE album.id IN (
                    SELECT track.albumId FROM trackArtist ta JOIN track ON track.id = ta.trackId
                    WHERE ta.artistId = ? AND ta.role IN ('artist', 'albumartist'))
                ORDER BY album.year, album.title COLLATE NOCASE, album.id
                """, arguments: [id]).map(Self.albumSummary)
            return ArtistDetail(artist: artist, albums: albums)
        }
    }

    /// Genres with their track counts, by name.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func genres(limit: Int = 50, offset: Int = 0) throws(StoreError) -> Page<GenreSummary> {
        let (limit, offset) = Self.clampPage(limit, offset)
        return try read("listing genres") { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM genre") ?? 0
            let items = try Row.fetchAll(db, sql: """
                SELECT genre.id, genre.name, (SELECT count(*) FROM trackGenre WHERE genreId = genre.id)
                FROM genre ORDER BY genre.nameKey, genre.id LIMIT ? OFFSET ?
                """, arguments: [limit, offset]).map { GenreSummary(id: $0[0], name: $0[1], trackCount: $0[2]) }
            return Page(items: items, total: total)
        }
    }

    /// The tracks of a genre, by artist, album, disc and track.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func tracks(genre id: Int64, limit: Int = 50, offset: Int = 0) throws(StoreError) -> Page<TrackRecord> {
        try trackPage("listing a genre", where: "track.id IN (SELECT trackId FROM trackGenre WHERE genreId = ?)",
                      arguments: [id], order: SearchSQL.order(.artist, descending: false).sql, limit: limit, offset: offset)
    }

    /// Release years with their track counts, newest first.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func years(limit: Int = 50, offset: Int = 0) throws(StoreError) -> Page<YearSummary> {
        let (limit, offset) = Self.clampPage(limit, offset)
        return try read("listing years") { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(DISTINCT year) FROM track WHERE year IS NOT NULL") ?? 0
            let items = try Row.fetchAll(db, sql: """
                SELECT year, count(*) FROM track WHERE year IS NOT NULL GROUP BY year ORDER BY year DESC LIMIT ? OFFSET ?
                """, arguments: [limit, offset]).map { YearSummary(year: $0[0], trackCount: $0[1]) }
            return Page(items: items, total: total)
        }
    }

    /// The tracks of a release year, by artist, album, disc and track.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func tracks(year: Int, limit: Int = 50, offset: Int = 0) throws(StoreError) -> Page<TrackRecord> {
        try trackPage("listing a year", where: "track.year = ?", arguments: [year],
                      order: SearchSQL.order(.artist, descending: false).sql, limit: limit, offset: offset)
    }

    /// The most recently added tracks first.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func recentlyAdded(limit: Int = 50, offset: Int = 0) throws(StoreError) -> Page<TrackRecord> {
        try trackPage("listing recent additions", where: "1", arguments: [],
                      order: SearchSQL.order(.added, descending: true).sql, limit: limit, offset: offset)
    }

    /// The user's favorite tracks, most recently favorited first.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func favorites(limit: Int = 50, offset: Int = 0) throws(StoreError) -> Page<TrackRecord> {
        try trackPage("listing favorites", where: "track.uid IN (SELECT uid FROM favoriteItem)", arguments: [],
                      order: "(SELECT max(stamp) FROM favoriteItem WHERE favoriteItem.uid = track.uid) DESC, track.id",
                      limit: limit, offset: offset)
    }

    private func trackPage(_ doing: String, where condition: String, arguments: StatementArguments, order: String,
                           limit: Int, offset: Int) throws(StoreError) -> Page<TrackRecord> {
        let (limit, offset) = Self.clampPage(limit, offset)
        return try read(doing) { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM track WHERE \(condition)", arguments: arguments) ?? 0
            let ids = try Int64.fetchAll(db, sql: "SELECT track.id FROM track WHERE \(condition) ORDER BY \(order) LIMIT ? OFFSET ?",
                                         arguments: arguments + [limit, offset])
            return Page(items: try Self.fetchTracks(db, ids: ids), total: total)
        }
    }
}
