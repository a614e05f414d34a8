import GRDB

/// How tracks are grouped into albums, beyond the album key `TrackWriter` computes
/// (`title␟a:<album artist>`, or `title␟d:<root>:<folder>` without an album artist).
///
/// The rule people expect: the same album title in the same folder with a consistent artist is
/// one album, even when only some of its tracks carry the album artist tag. A folder album (made
/// from tracks without the tag) whose tracks all have the artist X is therefore merged into the
/// album "title by X" when that exists; migration `v8-album-grouping` applies this to libraries
/// scanned before. Runs inside the caller's write transaction.
enum AlbumGrouping {
    /// The album key of a folded title and an owner (`a:…` or `d:…`).
    static func key(_ titleKey: String, owner: String) -> String { titleKey + "\u{1F}" + owner }

    static func albumID(_ db: Database, key: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM album WHERE albumKey = ?"), arguments: [key])
    }

    /// Moves the tracks of the folder album `folderAlbum` into album `id` when every one of them
    /// has the artist `artistKey` (folded), and deletes the folder album. Returns its id, or nil
    /// when nothing was merged.
    @discardableResult
    static func absorb(_ db: Database, folderAlbum: String, into id: Int64, artistKey: String) throws -> Int64? {
        guard let folderID = try albumID(db, key: folderAlbum), folderID != id else { return nil }
        let artists = try String?.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT artist FROM track WHERE albumId = ?"),
                                           arguments: [folderID])
        guard !artists.isEmpty, artists.allSatisfy({ $0.map(TextKey.fold) == artistKey }) else { return nil }
        try db.cachedStatement(sql: "UPDATE track SET albumId = ? WHERE albumId = ?").execute(arguments: [id, folderID])
        try db.cachedStatement(sql: """
            UPDATE album SET artworkId = COALESCE(artworkId, (SELECT artworkId FROM album WHERE id = ?)),
                year = COALESCE(year, (SELECT year FROM album WHERE id = ?)) WHERE id = ?
            """).execute(arguments: [folderID, folderID, id])
        try db.cachedStatement(sql: "DELETE FROM album WHERE id = ?").execute(arguments: [folderID])
        return folderID
    }

    /// Merges every folder album of an existing library whose tracks share one artist X into
    /// the album of the same title by X, when there is one (migration `v8-album-grouping`).
    static func mergeExisting(_ db: Database) throws {
        let folderAlbums = try Row.fetchAll(db, sql: "SELECT id, albumKey FROM album WHERE instr(albumKey, char(31) || 'd:') > 0")
        for row in folderAlbums {
            let folderKey: String = row[1]
            guard let separator = folderKey.firstIndex(of: "\u{1F}") else { continue }
            let titleKey = String(folderKey[..<separator])
            let artists = try String?.fetchAll(db, sql: "SELECT DISTINCT artist FROM track WHERE albumId = ?", arguments: [row[0] as Int64])
            let keys = Set(artists.map { $0.map(TextKey.fold) })
            guard keys.count == 1, let only = keys.first, let artistKey = only,
                  let target = try albumID(db, key: key(titleKey, owner: "a:" + artistKey)) else { continue }
            try absorb(db, folderAlbum: folderKey, into: target, artistKey: artistKey)
        }
    }
}
