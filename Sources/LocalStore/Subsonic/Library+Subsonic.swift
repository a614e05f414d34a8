import Foundation
import GRDB
import OmniModel

/// An album as the OpenSubsonic door lists it: its stable key (the album's `albumKey`, which
/// survives rescans) and what `AlbumID3` carries.
public struct SubsonicAlbumRow: Sendable, Equatable {
    public var id: Int64
    /// `album.albumKey`: the door's album id is made from it.
    public var key: String
    public var title: String
    public var albumArtist: String?
    public var year: Int?
    public var compilation: Bool
    /// The first genre of its first track that has one.
    public var genre: String?
    public var hasArtwork: Bool
    public var songCount: Int
    public var durationMs: Int
    /// The earliest `addedAt` of its tracks.
    public var created: Date
    public var playCount: Int
    public var lastPlayed: Date?
    /// When the album was starred (`album.favorite`), nil when it is not.
    public var starred: Date? = nil
}

/// An artist for the door's indexes (`artist.nameKey` is their stable key).
public struct SubsonicArtistRow: Sendable, Equatable {
    public var id: Int64
    public var key: String
    public var name: String
    public var albumCount: Int
    /// When the artist was starred (`artist.favorite`), nil when it is not.
    public var starred: Date? = nil
}

/// A genre with its song and album counts (`Genre`).
public struct SubsonicGenreRow: Sendable, Equatable {
    public var name: String
    public var songCount: Int
    public var albumCount: Int
}

/// The album lists of `getAlbumList`/`getAlbumList2`.
public enum SubsonicAlbumOrder: Sendable, Equatable {
    case random, newest, highest, frequent, recent, alphabeticalByName, alphabeticalByArtist, starred
    /// Years `from` to `to`; a reversed range lists newest first.
    case byYear(from: Int, to: Int)
    case byGenre(String)
}

// Queries of the OpenSubsonic door (Sources/Subsonic) that the web API does not need. One read
// transaction each; synchronous, any thread.
extension Library {
    static let subsonicAlbumColumns = """
        album.id, album.albumKey, album.title, album.albumArtist, album.year, album.compilation,
        (SELECT g.name FROM track t JOIN trackGenre tg ON tg.trackId = t.id JOIN genre g ON g.id = tg.genreId
         WHERE t.albumId = album.id ORDER BY t.discNumber, t.trackNumber, tg.position LIMIT 1),
        album.artworkId IS NOT NULL OR EXISTS (SELECT 1 FROM track t WHERE t.albumId = album.id
                                               AND coalesce(t.artworkId, t.folderArtworkId) IS NOT NULL),
        (SELECT count(*) FROM track t WHERE t.albumId = album.id),
        (SELECT coalesce(sum(t.durationMs), 0) FROM track t WHERE t.albumId = album.id),
        (SELECT min(t.addedAt) FROM track t WHERE t.albumId = album.id),
        (SELECT coalesce(sum(min(max(p.count, 0), 1000000)), 0) FROM track t JOIN trackPlay p ON p.uid = t.uid WHERE t.albumId = album.id),
        (SELECT max(p.lastPlayed) FROM track t JOIN trackPlay p ON p.uid = t.uid WHERE t.albumId = album.id),
        (SELECT f.stamp FROM albumFavorite f WHERE f.albumKey = album.albumKey AND f.favorite)
        """

    /// The star date of an artist row (`artist.nameKey` in scope).
    static let subsonicArtistStarred = "(SELECT f.stamp FROM artistFavorite f WHERE f.nameKey = artist.nameKey AND f.favorite)"
    /// An artist row of a search answer (`subsonicArtist`): id, key, name, its albums, its star.
    static let subsonicSearchArtistColumns = """
        artist.id, artist.nameKey, artist.name,
            (SELECT count(DISTINCT track.albumId) FROM trackArtist ta JOIN track ON track.id = ta.trackId
             WHERE ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist')),
            \(subsonicArtistStarred)
        """

    /// The wall time of a clock stamp (when a star was set), nil for none.
    static func starDate(_ stamp: String?) -> Date? {
        stamp.flatMap(HLCTimestamp.init(encoded:)).map { Date(timeIntervalSince1970: Double($0.wallMs) / 1000) }
    }

    static func subsonicArtist(_ row: Row) -> SubsonicArtistRow {
        SubsonicArtistRow(id: row[0], key: row[1], name: row[2], albumCount: row[3], starred: starDate(row[4]))
    }

    static func subsonicAlbum(_ row: Row) -> SubsonicAlbumRow {
        let lastPlayed: Int64? = row[12]
        let created: Double? = row[10]
        return SubsonicAlbumRow(id: row[0], key: row[1], title: row[2], albumArtist: row[3], year: row[4], compilation: row[5],
                                genre: row[6], hasArtwork: row[7], songCount: row[8], durationMs: row[9],
                                created: Date(timeIntervalSince1970: created ?? 0), playCount: row[11],
                                lastPlayed: lastPlayed.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                                starred: starDate(row[13]))
    }

    /// A page of albums in one of Subsonic's orders (ties by id, so pages never overlap).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func subsonicAlbums(_ order: SubsonicAlbumOrder, limit: Int, offset: Int) throws(StoreError) -> [SubsonicAlbumRow] {
        var condition = "1"
        var arguments: StatementArguments = []
        let orderSQL: String
        let tracks = "SELECT t.uid FROM track t WHERE t.albumId = album.id"
        switch order {
        case .random: orderSQL = "random()"
        case .newest: orderSQL = "(SELECT max(t.addedAt) FROM track t WHERE t.albumId = album.id) DESC, album.id"
        case .highest:
            condition = "EXISTS (SELECT 1 FROM trackRating r WHERE r.uid IN (\(tracks)) AND r.value > 0)"
            orderSQL = "(SELECT avg(r.value) FROM trackRating r WHERE r.uid IN (\(tracks)) AND r.value > 0) DESC, album.id"
        case .frequent:
            condition = "EXISTS (SELECT 1 FROM trackPlay p WHERE p.uid IN (\(tracks)))"
            orderSQL = "(SELECT sum(min(max(p.count, 0), 1000000)) FROM trackPlay p WHERE p.uid IN (\(tracks))) DESC, album.id"
        case .recent:
            condition = "EXISTS (SELECT 1 FROM trackPlay p WHERE p.uid IN (\(tracks)))"
            orderSQL = "(SELECT max(p.lastPlayed) FROM trackPlay p WHERE p.uid IN (\(tracks))) DESC, album.id"
        case .alphabeticalByName: orderSQL = "album.title COLLATE NOCASE, album.id"
        case .alphabeticalByArtist: orderSQL = "album.albumArtist COLLATE NOCASE, album.title COLLATE NOCASE, album.id"
        case .starred:
            // The starred albums (`album.favorite`), most recently starred first.
            condition = "album.albumKey IN (SELECT albumKey FROM albumFavorite WHERE favorite)"
            orderSQL = "(SELECT stamp FROM albumFavorite f WHERE f.albumKey = album.albumKey) DESC, album.id"
        case .byYear(let from, let to):
            condition = "album.year BETWEEN ? AND ?"
            arguments = [min(from, to), max(from, to)]
            orderSQL = from <= to ? "album.year, album.title COLLATE NOCASE, album.id" : "album.year DESC, album.title COLLATE NOCASE, album.id"
        case .byGenre(let name):
            condition = """
                EXISTS (SELECT 1 FROM track t JOIN trackGenre tg ON tg.trackId = t.id JOIN genre g ON g.id = tg.genreId
                        WHERE t.albumId = album.id AND g.nameKey = ?)
                """
            arguments = [TextKey.fold(name)]
            orderSQL = "album.title COLLATE NOCASE, album.id"
        }
        // Decided before the read transaction starts: a summary built in it is kept under the
        // generation read here (`SubsonicAlbumSummaries`).
        let plan = albumSummaries.plan()
        return try read("listing albums for Subsonic") { db in
            // The page's ids first, then the per-album columns for those rows: from the summary
            // of every album when it is current, else read for the page alone. Every statement
            // is prepared once per order (the per-album columns' nine subqueries took longer to
            // prepare than to run for a page of 50).
            let ids = try Int64.fetchAll(db.cachedStatement(sql: "SELECT album.id FROM album WHERE \(condition) ORDER BY \(orderSQL) LIMIT ? OFFSET ?"),
                                         arguments: arguments + [max(limit, 0), max(offset, 0)])
            return try albumRows(db, ids: ids, plan)
        }
    }

    /// The rows of the albums `ids`, in that order: from the kept summary of every album when it
    /// is current (or built here, in this read transaction, when `plan` says so), else the
    /// per-album columns read for these ids alone.
    func albumRows(_ db: Database, ids: [Int64], _ plan: SubsonicAlbumSummaries.Plan) throws -> [SubsonicAlbumRow] {
        let byID: [Int64: SubsonicAlbumRow]
        switch plan {
        case .use(let kept):
            byID = kept.rows
        case .build(let generation):
            let kept = try SubsonicAlbumSummaries.Kept.read(db)
            byID = kept.rows
            albumSummaries.store(kept, generation: generation)
        case .direct:
            guard !ids.isEmpty else { return [] }
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.subsonicAlbumColumns) FROM album WHERE album.id IN (SELECT value FROM json_each(?))"),
                                        arguments: ["[" + ids.map(String.init).joined(separator: ",") + "]"])
                .map(Self.subsonicAlbum)
            byID = Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        return ids.compactMap { byID[$0] }
    }

    /// The album with key `key` and its tracks in disc and track order, or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func subsonicAlbum(key: String) throws(StoreError) -> (album: SubsonicAlbumRow, tracks: [TrackRecord])? {
        try read("reading an album for Subsonic") { db in
            guard let album = try Row.fetchOne(db, sql: "SELECT \(Self.subsonicAlbumColumns) FROM album WHERE albumKey = ?",
                                               arguments: [key]).map(Self.subsonicAlbum) else { return nil }
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM track WHERE albumId = ? ORDER BY coalesce(discNumber, 0), coalesce(trackNumber, 0), titleKey, id
                """, arguments: [album.id])
            return (album, try Self.fetchTracks(db, ids: ids))
        }
    }

    /// The keys of the albums with these row ids (songs name their album by key).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func albumKeys(ids: Set<Int64>) throws(StoreError) -> [Int64: String] {
        guard !ids.isEmpty else { return [:] }
        // From the kept album rows when they are current: no read transaction at all.
        if let kept = albumSummaries.current() {
            var out: [Int64: String] = [:]
            for id in ids { if let row = kept.rows[id] { out[id] = row.key } }
            return out
        }
        return try read("reading album keys") { db in
            var out: [Int64: String] = [:]
            // One cached statement for any set (the ids as a JSON array): songs of every search3
            // and album page ask, and preparing it was a visible share of a request.
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, albumKey FROM album WHERE id IN (SELECT value FROM json_each(?))"),
                                        arguments: ["[" + ids.map(String.init).joined(separator: ",") + "]"]) {
                out[row[0]] = row[1]
            }
            return out
        }
    }

    /// Every artist credited as artist or album artist, by folded name.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func subsonicArtists() throws(StoreError) -> [SubsonicArtistRow] {
        try read("listing artists for Subsonic") { db in
            try Row.fetchAll(db, sql: """
                SELECT artist.id, artist.nameKey, artist.name, count(DISTINCT track.albumId), \(Self.subsonicArtistStarred)
                FROM artist JOIN trackArtist ta ON ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist')
                JOIN track ON track.id = ta.trackId
                GROUP BY artist.id ORDER BY artist.nameKey, artist.id
                """).map(Self.subsonicArtist)
        }
    }

    /// The artist with key `key` (`artist.nameKey`) and their albums (by year, then title), or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func subsonicArtist(key: String) throws(StoreError) -> (artist: SubsonicArtistRow, albums: [SubsonicAlbumRow])? {
        try read("reading an artist for Subsonic") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, nameKey, name, \(Self.subsonicArtistStarred) FROM artist WHERE nameKey = ?",
                                             arguments: [key]) else {
                return nil
            }
            let id: Int64 = row[0]
            let albums = try Row.fetchAll(db, sql: """
                SELECT \(Self.subsonicAlbumColumns) FROM album WHERE album.id IN (
                    SELECT track.albumId FROM trackArtist ta JOIN track ON track.id = ta.trackId
                    WHERE ta.artistId = ? AND ta.role IN ('artist', 'albumartist'))
                ORDER BY album.year, album.title COLLATE NOCASE, album.id
                """, arguments: [id]).map(Self.subsonicAlbum)
            return (SubsonicArtistRow(id: id, key: row[1], name: row[2], albumCount: albums.count, starred: Self.starDate(row[3])), albums)
        }
    }

    /// The most played tracks credited to the artist named `name` (folded), most played first.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func topTracks(artist name: String, count: Int) throws(StoreError) -> [TrackRecord] {
        try read("listing an artist's top tracks") { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT track.id FROM track JOIN trackArtist ta ON ta.trackId = track.id AND ta.role = 'artist'
                JOIN artist ON artist.id = ta.artistId AND artist.nameKey = ?
                JOIN trackPlay p ON p.uid = track.uid
                GROUP BY track.id ORDER BY sum(min(max(p.count, 0), 1000000)) DESC, track.id LIMIT ?
                """, arguments: [TextKey.fold(name), max(0, min(count, 500))])
            return try Self.fetchTracks(db, ids: ids)
        }
    }

    /// Genres with song and album counts, by name.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func subsonicGenres() throws(StoreError) -> [SubsonicGenreRow] {
        try read("listing genres for Subsonic") { db in
            try Row.fetchAll(db, sql: """
                SELECT genre.name, count(*), count(DISTINCT track.albumId) FROM genre
                JOIN trackGenre tg ON tg.genreId = genre.id JOIN track ON track.id = tg.trackId
                GROUP BY genre.id ORDER BY genre.nameKey
                """).map { SubsonicGenreRow(name: $0[0], songCount: $0[1], albumCount: $0[2]) }
        }
    }

    /// A page of the tracks of genre `name` (folded), by artist, album, disc and track.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func tracks(genreNamed name: String, limit: Int, offset: Int) throws(StoreError) -> [TrackRecord] {
        try read("listing a genre for Subsonic") { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT track.id FROM track WHERE track.id IN (SELECT tg.trackId FROM trackGenre tg JOIN genre ON genre.id = tg.genreId
                                                              WHERE genre.nameKey = ?)
                ORDER BY \(SearchSQL.order(.artist, descending: false).sql) LIMIT ? OFFSET ?
                """, arguments: [TextKey.fold(name), max(limit, 0), max(offset, 0)])
            return try Self.fetchTracks(db, ids: ids)
        }
    }

    /// Up to `count` random tracks, optionally of one genre and within years.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func randomTracks(count: Int, genre: String?, fromYear: Int?, toYear: Int?) throws(StoreError) -> [TrackRecord] {
        var conditions = ["1"]
        var arguments: StatementArguments = []
        if let genre {
            conditions.append("track.id IN (SELECT tg.trackId FROM trackGenre tg JOIN genre ON genre.id = tg.genreId WHERE genre.nameKey = ?)")
            arguments += [TextKey.fold(genre)]
        }
        if let fromYear { conditions.append("track.year >= ?"); arguments += [fromYear] }
        if let toYear { conditions.append("track.year <= ?"); arguments += [toYear] }
        let condition = conditions.joined(separator: " AND ")
        return try read("listing random tracks") { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT track.id FROM track WHERE \(condition) ORDER BY random() LIMIT ?",
                                         arguments: arguments + [max(0, min(count, 500))])
            return try Self.fetchTracks(db, ids: ids)
        }
    }

    /// The tracks with these uids, in the given order, repeats kept (unknown uids are left out).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func orderedTracks(uids: [TrackUID]) throws(StoreError) -> [TrackRecord] {
        guard !uids.isEmpty else { return [] }
        return try read("reading tracks") { db in
            let found = try Self.fetchTracks(db, uids: Set(uids.map(\.rawValue)))
            return uids.compactMap { found[$0.rawValue] }
        }
    }

    /// When each favorite track was marked (its newest favorite item's clock stamp, as a date).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func favoriteDates(uids: Set<String>) throws(StoreError) -> [String: Date] {
        guard !uids.isEmpty else { return [:] }
        return try read("reading favorite dates") { db in
            var out: [String: Date] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT uid, max(stamp) FROM favoriteItem WHERE uid IN (SELECT value FROM json_each(?)) GROUP BY uid
                """), arguments: [JSONText.array(Array(uids))]) {
                let stamp: String = row[1]
                if let hlc = HLCTimestamp(encoded: stamp) { out[row[0]] = Date(timeIntervalSince1970: Double(hlc.wallMs) / 1000) }
            }
            return out
        }
    }

    /// Artists whose folded name holds every word of `text` (folded; all artists for an empty
    /// text), by folded name: `search2`/`search3`'s artists. Paged.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func searchArtists(_ text: String, limit: Int, offset: Int) throws(StoreError) -> [SubsonicArtistRow] {
        if let kept = albumSummaries.current() {
            // The page's ids from the kept keys (the same filter and order as the SQL below),
            // then their rows; a page without artists reads nothing.
            let ids = LikeWords(text).page(kept.artistKeys, limit: limit, offset: offset)
            guard !ids.isEmpty else { return [] }
            return try read("searching artists") { db in
                try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT \(Self.subsonicSearchArtistColumns)
                    FROM artist WHERE artist.id IN (SELECT value FROM json_each(?))
                    ORDER BY artist.nameKey, artist.id
                    """), arguments: ["[" + ids.map(String.init).joined(separator: ",") + "]"])
                    .map(Self.subsonicArtist)
            }
        }
        let (condition, arguments) = Self.containsAll(column: "artist.nameKey", text)
        return try read("searching artists") { db in
            // The artists that match first, then their credits: joining every credit of the
            // library to its artist before filtering took 7 ms of SQLite for a 10,000-track
            // library (search3's main cost); this takes well under 1 ms, with the same rows.
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.subsonicSearchArtistColumns)
                FROM artist WHERE \(condition)
                AND EXISTS (SELECT 1 FROM trackArtist ta JOIN track ON track.id = ta.trackId
                            WHERE ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist'))
                ORDER BY artist.nameKey, artist.id LIMIT ? OFFSET ?
                """), arguments: arguments + [max(limit, 0), max(offset, 0)])
                .map(Self.subsonicArtist)
        }
    }

    /// Albums whose key (folded title and album artist) holds every word of `text` (all albums
    /// for an empty text), by key. Paged.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func searchAlbums(_ text: String, limit: Int, offset: Int) throws(StoreError) -> [SubsonicAlbumRow] {
        let plan = albumSummaries.plan()
        if case .use(let kept) = plan {
            // The ids from the kept keys (the same filter and order as the SQL below), the rows
            // from the kept rows: no read transaction.
            return LikeWords(text).page(kept.albumKeys, limit: limit, offset: offset).compactMap { kept.rows[$0] }
        }
        let (condition, arguments) = Self.containsAll(column: "album.albumKey", text)
        return try read("searching albums") { db in
            // Prepared once per number of words; the rows as getAlbumList2's (`albumRows`).
            let ids = try Int64.fetchAll(db.cachedStatement(sql: "SELECT album.id FROM album WHERE \(condition) ORDER BY album.albumKey, album.id LIMIT ? OFFSET ?"),
                                         arguments: arguments + [max(limit, 0), max(offset, 0)])
            return try albumRows(db, ids: ids, plan)
        }
    }

    /// The folded words of a search2/search3 text (at most 16), which `containsAll` and
    /// `LikeWords` both match.
    static func searchWords(_ text: String) -> [Substring] {
        Array(TextKey.fold(text).split(whereSeparator: { $0.isWhitespace }).prefix(16))
    }

    /// `column LIKE '%word%'` for each folded word of `text` (`%`, `_` and `\\` taken literally).
    ///
    /// The pattern is written `(? || '')`: SQLite marks a statement whose `LIKE` pattern is a bare
    /// bound parameter to be compiled again at every new binding (in case the value allows the
    /// LIKE optimization, which a leading `%` never does), so the cached statements of search3's
    /// artist and album searches were re-prepared on every request (`sqlite3Reprepare`, 12 % of
    /// search3's CPU in `perf`). Appending `''` leaves the pattern as it is.
    static func containsAll(column: String, _ text: String) -> (String, StatementArguments) {
        let words = searchWords(text)
        guard !words.isEmpty else { return ("1", []) }
        var arguments: StatementArguments = []
        for word in words {
            let escaped = word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            arguments += ["%" + escaped + "%"]
        }
        return (Array(repeating: "\(column) LIKE (? || '') ESCAPE '\\'", count: words.count).joined(separator: " AND "), arguments)
    }

    /// The row id of the album with key `key`, or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func albumID(key: String) throws(StoreError) -> Int64? {
        try read("finding an album") { db in try Int64.fetchOne(db, sql: "SELECT id FROM album WHERE albumKey = ?", arguments: [key]) }
    }

    /// The starred artists that the library has (credited as artist or album artist), most
    /// recently starred first: `getStarred`'s artists.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func starredArtists() throws(StoreError) -> [SubsonicArtistRow] {
        try read("listing starred artists") { db in
            try Row.fetchAll(db, sql: """
                SELECT artist.id, artist.nameKey, artist.name, count(DISTINCT track.albumId), f.stamp
                FROM artistFavorite f JOIN artist ON artist.nameKey = f.nameKey
                JOIN trackArtist ta ON ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist')
                JOIN track ON track.id = ta.trackId
                WHERE f.favorite GROUP BY artist.id ORDER BY f.stamp DESC, artist.id
                """).map(Self.subsonicArtist)
        }
    }

    /// The key (`albumKey`) of the album with row id `id`, or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func albumKey(id: Int64) throws(StoreError) -> String? {
        try read("finding an album") { db in try String.fetchOne(db, sql: "SELECT albumKey FROM album WHERE id = ?", arguments: [id]) }
    }

    /// The key (`nameKey`, the folded name) of the artist with row id `id`, or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func artistKey(id: Int64) throws(StoreError) -> String? {
        try read("finding an artist") { db in try String.fetchOne(db, sql: "SELECT nameKey FROM artist WHERE id = ?", arguments: [id]) }
    }
}
