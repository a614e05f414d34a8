import Foundation
import GRDB
import OmniModel

/// Writes tracks inside one open transaction: the scan's results (`save`, see
/// `Library.apply(_:)`) and a user's tag overrides applied to a track (`rewriteTags`, from
/// `TrackOverrides`). One writer for both, so a track's columns, album and links are computed
/// the same way whoever changes them.
///
/// Rules:
/// - A track row is keyed by `uid`. The tags come from the track's *primary* file, the file
///   with the lowest id that holds it; another copy of the same recording links to the track
///   without changing its tags.
/// - A changed file whose audio changed gets a new uid: it points at a new track and the old
///   track, if no file holds it any more, is removed by `Library.finishScan()`.
/// - Artists, genres and albums are shared rows keyed by their folded name (`TextKey`).
/// - The editable tags as read go to `fileTags`; the display columns, the album and the artist
///   and genre links take the *effective* tags: the file's with the user's overrides for the
///   uid applied (`TrackOverrides`, decision 0007). A rescan therefore keeps every edit.
struct TrackWriter {
    let db: Database
    let now: Double
    /// Tracks inserted or changed by this writer: the batch indexes them at the end.
    private(set) var touched: Set<Int64> = []
    /// The folded searchable text of the tracks this writer inserted from a probe that carried
    /// it and that no override changed (`ScanBatch.Probed.foldedSearchText`), by track id.
    private(set) var folded: [Int64: [String?]] = [:]
    private var artistIDs: [String: Int64] = [:]
    private var genreIDs: [String: Int64] = [:]
    private var artworkIDs: [String: Int64] = [:]
    private var albumIDs: [String: Int64] = [:]
    /// Whether any override exists (asked once: a first scan has none and skips the lookups).
    private var overridesExist: Bool?
    /// The ids of the tracks that existed, by uid, among those of the chunk being saved, when
    /// the caller looked them up in one query (`Library.apply`); nil: `save` asks per file.
    var existingTracks: [String: Int64]?
    /// The tracks this writer inserted, by uid: a second file of the same recording in the
    /// same chunk finds its track here when `existingTracks` is given.
    private var insertedTracks: [String: Int64] = [:]
    /// The statements run once or more per file, taken from the connection's cache once per
    /// writer: the cache is keyed by the SQL text, hashed at every lookup (the track insert's
    /// is 600 characters long), and this ran ~40,000 times per 10,000 files.
    private var hot: [HotSQL: Statement] = [:]

    private enum HotSQL: Hashable {
        case insertTrack, upsertFile, artistLink, genreLink
    }

    private mutating func statement(_ which: HotSQL, _ sql: String) throws -> Statement {
        if let statement = hot[which] { return statement }
        let statement = try db.cachedStatement(sql: sql)
        hot[which] = statement
        return statement
    }

    init(db: Database, now: Double) {
        self.db = db
        self.now = now
    }

    mutating func save(_ probed: ScanBatch.Probed) throws {
        let entry = probed.entry
        switch probed.outcome {
        case .failed(let code, let message):
            try upsertFile(probed, trackID: nil, errorCode: code, error: message)

        case .track(let result, let artwork, let folderArtwork):
            // A file read with warnings keeps them in its row, next to its track.
            let warningCode = result.warnings.first?.code.rawValue
            let warning = result.warnings.isEmpty ? nil : result.warnings.map(\.message).joined(separator: "; ")
            let (tags, overridden) = try effectiveTags(result)
            let artworkID = try artwork.map { try self.artworkRowID(for: $0) }
            let folderArtworkID = try folderArtwork.map { try self.artworkRowID(for: $0) }
            let existing: Int64?
            if let known = existingTracks {
                // Tracks are only deleted by `Library.finishScan`: one that existed when the
                // chunk began still does, and any other was inserted by this writer since.
                existing = known[result.uid.rawValue] ?? insertedTracks[result.uid.rawValue]
            } else {
                // Bound in place (`DirectStatement`), as the inserts below: GRDB's arguments
                // and cursor were a third of this lookup's time (decision 0039).
                var lookup = DirectStatement(try db.cachedStatement(sql: "SELECT id FROM track WHERE uid = ?"))
                lookup.bind(result.uid.rawValue)
                existing = try lookup.fetchInt64(db)
            }
            guard let trackID = existing else {
                // A recording new to the library: the common case of a first scan.
                let trackID = try insertTrack(result, tags: tags, folder: entry.relativePath.deletingLastComponent, rootID: probed.rootID,
                                              fileName: entry.relativePath.lastComponent.displayString,
                                              artworkID: artworkID, folderArtworkID: folderArtworkID)
                try insertLinks(tags, trackID: trackID, replacing: false)
                try upsertFile(probed, trackID: trackID, errorCode: warningCode, error: warning)
                insertedTracks[result.uid.rawValue] = trackID
                touched.insert(trackID)
                if !overridden, let text = probed.foldedSearchText { folded[trackID] = text }
                return
            }
            let fileID = try upsertFile(probed, trackID: trackID, errorCode: warningCode, error: warning)
            let primary = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(id) FROM file WHERE trackId = ?"),
                                             arguments: [trackID])
            // Another copy of this recording is the primary file: the file only links to it.
            guard primary == fileID else { return }
            try updateTrack(trackID, result, tags: tags, folder: entry.relativePath.deletingLastComponent, rootID: probed.rootID,
                            fileName: entry.relativePath.lastComponent.displayString,
                            artworkID: artworkID, folderArtworkID: folderArtworkID)
            try insertLinks(tags, trackID: trackID, replacing: true)
            touched.insert(trackID)
            folded[trackID] = nil  // rewritten from another file: the view folds the row as it is now
        }
    }

    /// The probed tags with the user's overrides for the uid applied, and whether any applied.
    private mutating func effectiveTags(_ result: ProbeResult) throws -> (TrackTags, overridden: Bool) {
        if overridesExist == nil {
            overridesExist = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM trackOverride WHERE value IS NOT NULL)") ?? false
        }
        guard overridesExist == true else { return (result.tags, false) }
        let overrides = try TrackOverrides.load(uid: result.uid.rawValue, in: db)
        guard !overrides.isEmpty else { return (result.tags, false) }
        var tags = result.tags
        TrackOverrides.apply(overrides, to: &tags)
        return (tags, true)
    }

    /// Rewrites the tag-derived columns, album and links of a track from its effective `tags`
    /// (after a user edit), and drops the album, artists and genres it leaves empty.
    /// The caller keeps the search index in step (`SearchIndex.remove` before, `add` after).
    mutating func rewriteTags(trackID: Int64, tags: TrackTags) throws {
        let file = try Row.fetchOne(db.cachedStatement(sql: "SELECT rootId, relPath FROM file WHERE trackId = ? ORDER BY id LIMIT 1"),
                                    arguments: [trackID])
        let rootID: Int64 = file?[0] ?? 0
        let folder = file.map { RawPath(bytes: [UInt8]($0[1] as Data)).deletingLastComponent } ?? RawPath(bytes: [])
        let oldAlbum = try Int64.fetchOne(db.cachedStatement(sql: "SELECT albumId FROM track WHERE id = ?"), arguments: [trackID])
        let oldArtists = try Int64.fetchAll(db.cachedStatement(sql: "SELECT artistId FROM trackArtist WHERE trackId = ?"), arguments: [trackID])
        let oldGenres = try Int64.fetchAll(db.cachedStatement(sql: "SELECT genreId FROM trackGenre WHERE trackId = ?"), arguments: [trackID])
        let albumID = try upsertAlbum(tags, folder: folder, rootID: rootID)
        try db.cachedStatement(sql: """
            UPDATE track SET title = ?, titleKey = ?, titleFromFileName = ?, artist = ?, artists = ?, album = ?,
                albumArtist = ?, albumArtists = ?, albumId = ?, trackNumber = ?, discNumber = ?, year = ?,
                genres = ?, genreText = ?, bpm = ?, musicalKey = ?, updatedAt = ?
            WHERE id = ?
            """).execute(arguments: [
                tags.title, TextKey.fold(tags.title), tags.titleFromFileName, tags.artist, JSONText.array(tags.artists), tags.album,
                tags.albumArtist, JSONText.array(tags.albumArtists), albumID, tags.trackNumber, tags.discNumber, tags.year,
                JSONText.array(tags.genres), SearchIndex.genreText(tags.genres), tags.bpm, tags.key, now,
                trackID,
            ])
        try insertLinks(tags, trackID: trackID, replacing: true)
        if let albumID {
            try db.cachedStatement(sql: """
                UPDATE album SET artworkId = COALESCE(artworkId, (SELECT COALESCE(artworkId, folderArtworkId) FROM track WHERE id = ?))
                WHERE id = ?
                """).execute(arguments: [trackID, albumID])
        }
        // An edited year shows on the album: the earliest year of its tracks.
        for id in Set([albumID, oldAlbum].compactMap { $0 }) {
            try db.cachedStatement(sql: "UPDATE album SET year = (SELECT min(year) FROM track WHERE albumId = album.id) WHERE id = ?")
                .execute(arguments: [id])
        }
        if let oldAlbum, oldAlbum != albumID {
            try db.cachedStatement(sql: "DELETE FROM album WHERE id = ? AND NOT EXISTS (SELECT 1 FROM track WHERE albumId = album.id)")
                .execute(arguments: [oldAlbum])
        }
        for artistID in oldArtists {
            try db.cachedStatement(sql: "DELETE FROM artist WHERE id = ? AND NOT EXISTS (SELECT 1 FROM trackArtist WHERE artistId = artist.id)")
                .execute(arguments: [artistID])
        }
        for genreID in oldGenres {
            try db.cachedStatement(sql: "DELETE FROM genre WHERE id = ? AND NOT EXISTS (SELECT 1 FROM trackGenre WHERE genreId = genre.id)")
                .execute(arguments: [genreID])
        }
    }

    /// Inserts or updates the file row at the entry's path and returns its id.
    @discardableResult
    private mutating func upsertFile(_ probed: ScanBatch.Probed, trackID: Int64?, errorCode: String?, error: String?) throws -> Int64 {
        let entry = probed.entry
        var row = DirectStatement(try statement(.upsertFile, """
            INSERT INTO file(rootId, relPath, size, mtimeNs, ctimeNs, inode, device, trackId, probeErrorCode, probeError, scannedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(rootId, relPath) DO UPDATE SET
                size = excluded.size, mtimeNs = excluded.mtimeNs, ctimeNs = excluded.ctimeNs, inode = excluded.inode,
                device = excluded.device, trackId = excluded.trackId, probeErrorCode = excluded.probeErrorCode,
                probeError = excluded.probeError, scannedAt = excluded.scannedAt
            RETURNING id
            """))
        row.bind(probed.rootID); row.bind(Data(entry.relativePath.bytes)); row.bind(entry.size); row.bind(entry.mtimeNs)
        row.bind(entry.ctimeNs); row.bind(Int64(bitPattern: entry.inode)); row.bind(Int64(bitPattern: entry.device)); row.bind(trackID)
        row.bind(errorCode); row.bind(error); row.bind(now)
        return try row.fetchInt64(db)!
    }

    mutating func move(_ moved: ScanBatch.Moved) throws {
        let entry = moved.entry
        // Another file may already sit at the destination path (replaced by the move): it is gone.
        try db.cachedStatement(sql: "DELETE FROM file WHERE rootId = ? AND relPath = ? AND id <> ?").execute(arguments: [moved.rootID, Data(entry.relativePath.bytes), moved.fileID])
        try db.cachedStatement(sql: """
            UPDATE file SET rootId = ?, relPath = ?, size = ?, mtimeNs = ?, ctimeNs = ?, inode = ?, device = ?, scannedAt = ?
            WHERE id = ?
            """).execute(arguments: [moved.rootID, Data(entry.relativePath.bytes), entry.size, entry.mtimeNs, entry.ctimeNs,
                             Int64(bitPattern: entry.inode), Int64(bitPattern: entry.device), now, moved.fileID])
        // The file name is searchable: keep it in step when this file is the track's primary file.
        try db.cachedStatement(sql: """
            UPDATE track SET fileName = ?, updatedAt = ?
            WHERE id = (SELECT trackId FROM file WHERE id = ?)
              AND (SELECT min(id) FROM file WHERE trackId = track.id) = ?
            """).execute(arguments: [entry.relativePath.lastComponent.displayString, now, moved.fileID, moved.fileID])
    }

    mutating func saveFolderPicture(_ picture: ScanBatch.FolderPicture) throws {
        let artworkID = try picture.artwork.map { try self.artworkRowID(for: $0) }
        let folder = Data(picture.folder.bytes)
        try db.cachedStatement(sql: """
            INSERT INTO folderArtwork(rootId, folder, relPath, size, mtimeNs, artworkId) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(rootId, folder) DO UPDATE SET relPath = excluded.relPath, size = excluded.size,
                mtimeNs = excluded.mtimeNs, artworkId = excluded.artworkId
            """).execute(arguments: [picture.rootID, folder, Data(picture.relativePath.bytes), picture.size, picture.mtimeNs, artworkID])
        try setFolderArtwork(rootID: picture.rootID, folder: picture.folder, artworkID: artworkID)
    }

    mutating func removeFolderPicture(rootID: Int64, folder: RawPath) throws {
        try db.cachedStatement(sql: "DELETE FROM folderArtwork WHERE rootId = ? AND folder = ?").execute(arguments: [rootID, Data(folder.bytes)])
        try setFolderArtwork(rootID: rootID, folder: folder, artworkID: nil)
    }

    /// Points the tracks of the files directly inside `folder` at its picture.
    private func setFolderArtwork(rootID: Int64, folder: RawPath, artworkID: Int64?) throws {
        let prefix = folder.isEmpty ? [] : folder.bytes + [UInt8(ascii: "/")]
        // Direct children: the path starts with the prefix and has no further slash.
        try db.cachedStatement(sql: """
            UPDATE track SET folderArtworkId = ? WHERE id IN (
                SELECT trackId FROM file WHERE rootId = ? AND trackId IS NOT NULL
                  AND substr(relPath, 1, ?) = ? AND instr(substr(relPath, ? + 1), X'2F') = 0)
            """).execute(arguments: [artworkID, rootID, prefix.count, Data(prefix), prefix.count])
    }

    // MARK: - Tracks

    /// The `track` columns written from a probe, in the order of `trackValues`.
    private static let trackColumns = [
        "title", "titleKey", "titleFromFileName", "artist", "artists", "album", "albumArtist", "albumArtists", "albumId",
        "trackNumber", "trackTotal", "discNumber", "discTotal", "year", "date", "originalYear", "genres", "genreText",
        "composer", "composers", "compilation", "comment", "label", "bpm", "musicalKey", "replayGain", "musicBrainz",
        "codec", "container", "durationMs", "sampleRate", "channels", "bitsPerSample", "bitrate",
        "artworkId", "folderArtworkId", "fileName", "updatedAt", "fileTags",
    ]
    private static let insertSQL = "INSERT INTO track(uid, addedAt, \(trackColumns.joined(separator: ", "))) VALUES (?, ?"
        + String(repeating: ", ?", count: trackColumns.count) + ")"
    private static let updateSQL = "UPDATE track SET " + trackColumns.map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ?"

    /// Binds the `trackColumns` values of a probe, in order. `tags` are the effective tags (with
    /// overrides); `result.tags` go to `fileTags` as read. One function for the insert and the
    /// update, so both write the same values.
    private mutating func bindTrackValues(_ row: inout DirectStatement, _ result: ProbeResult, tags: TrackTags, folder: RawPath,
                                          rootID: Int64, fileName: String, artworkID: Int64?, folderArtworkID: Int64?) throws {
        let audio = result.audio
        let albumID = try upsertAlbum(tags, folder: folder, rootID: rootID)
        row.bind(tags.title); row.bind(TextKey.fold(tags.title)); row.bind(tags.titleFromFileName)
        row.bind(tags.artist); row.bind(JSONText.array(tags.artists)); row.bind(tags.album); row.bind(tags.albumArtist)
        row.bind(JSONText.array(tags.albumArtists)); row.bind(albumID)
        row.bind(tags.trackNumber); row.bind(tags.trackTotal); row.bind(tags.discNumber); row.bind(tags.discTotal)
        row.bind(tags.year); row.bind(tags.date); row.bind(tags.originalYear)
        row.bind(JSONText.array(tags.genres)); row.bind(SearchIndex.genreText(tags.genres))
        row.bind(tags.composer); row.bind(JSONText.array(tags.composers)); row.bind(tags.compilation); row.bind(tags.comment)
        row.bind(tags.label); row.bind(tags.bpm); row.bind(tags.key)
        row.bind(tags.replayGain.flatMap { $0.isEmpty ? nil : JSONText.encode($0) })
        row.bind(tags.musicBrainz.flatMap { $0.isEmpty ? nil : JSONText.encode($0) })
        row.bind(audio.codec); row.bind(audio.container); row.bind(audio.durationMs); row.bind(audio.sampleRate)
        row.bind(audio.channels); row.bind(audio.bitsPerSample); row.bind(audio.bitrate)
        row.bind(artworkID); row.bind(folderArtworkID); row.bind(fileName); row.bind(now); row.bind(TrackFileTags(result.tags).json)
    }

    private mutating func insertTrack(_ result: ProbeResult, tags: TrackTags, folder: RawPath, rootID: Int64, fileName: String,
                                      artworkID: Int64?, folderArtworkID: Int64?) throws -> Int64 {
        // The album is upserted (while binding) before this statement runs, as before.
        var row = DirectStatement(try statement(.insertTrack, Self.insertSQL))
        row.bind(result.uid.rawValue)
        row.bind(now)
        try bindTrackValues(&row, result, tags: tags, folder: folder, rootID: rootID, fileName: fileName,
                            artworkID: artworkID, folderArtworkID: folderArtworkID)
        try row.execute(db)
        return db.lastInsertedRowID
    }

    private mutating func updateTrack(_ id: Int64, _ result: ProbeResult, tags: TrackTags, folder: RawPath, rootID: Int64, fileName: String,
                                      artworkID: Int64?, folderArtworkID: Int64?) throws {
        var row = DirectStatement(try db.cachedStatement(sql: Self.updateSQL))
        try bindTrackValues(&row, result, tags: tags, folder: folder, rootID: rootID, fileName: fileName,
                            artworkID: artworkID, folderArtworkID: folderArtworkID)
        row.bind(id)
        try row.execute(db)
    }

    /// Writes the artist (with roles) and genre links of a track.
    private mutating func insertLinks(_ tags: TrackTags, trackID: Int64, replacing: Bool) throws {
        if replacing {
            try db.cachedStatement(sql: "DELETE FROM trackArtist WHERE trackId = ?").execute(arguments: [trackID])
            try db.cachedStatement(sql: "DELETE FROM trackGenre WHERE trackId = ?").execute(arguments: [trackID])
        }
        func link(_ role: String, _ names: [String]) throws {
            for (position, name) in names.enumerated() {
                let artistID = try artistID(for: name)
                var link = DirectStatement(try statement(.artistLink, "INSERT OR IGNORE INTO trackArtist(trackId, role, position, artistId) VALUES (?, ?, ?, ?)"))
                link.bind(trackID); link.bind(role); link.bind(position); link.bind(artistID)
                try link.execute(db)
            }
        }
        try link("artist", tags.artists)
        try link("albumartist", tags.albumArtists)
        try link("composer", tags.composers)
        for (position, name) in tags.genres.enumerated() {
            let genreID = try genreID(for: name)
            var link = DirectStatement(try statement(.genreLink, "INSERT OR IGNORE INTO trackGenre(trackId, genreId, position) VALUES (?, ?, ?)"))
            link.bind(trackID); link.bind(genreID); link.bind(position)
            try link.execute(db)
        }
    }

    /// Albums are grouped by title and album artist; without an album artist, a compilation is
    /// "Various Artists" and anything else is grouped by folder, so one folder of tracks by
    /// several artists stays one album. A track without an album artist whose artist is the
    /// album artist of an album of the same title joins that album, and when tracks with an album
    /// artist arrive after such tracks, the folder's album is merged into theirs if every one of
    /// its tracks has that artist (`AlbumGrouping`): some tracks of an album lacking the album
    /// artist tag no longer split it in two.
    private mutating func upsertAlbum(_ tags: TrackTags, folder: RawPath, rootID: Int64) throws -> Int64? {
        guard let title = tags.album else { return nil }
        let titleKey = TextKey.fold(title)
        let folderKey = AlbumGrouping.key(titleKey, owner: "d:\(rootID):" + folder.displayString)
        let key: String
        if let albumArtist = tags.albumArtist {
            key = AlbumGrouping.key(titleKey, owner: "a:" + TextKey.fold(albumArtist))
        } else if tags.compilation {
            key = AlbumGrouping.key(titleKey, owner: "a:various artists")
        } else if let artist = tags.artist, case let byArtist = AlbumGrouping.key(titleKey, owner: "a:" + TextKey.fold(artist)),
                  try albumIDs[byArtist] != nil || AlbumGrouping.albumID(db, key: byArtist) != nil {
            key = byArtist
        } else {
            key = folderKey
        }
        // The first track of an album in a batch creates or refreshes it; the others only link.
        if let id = albumIDs[key] { return id }
        let displayArtist = tags.albumArtist ?? (tags.compilation ? "Various Artists" : tags.artist)
        let id = try Int64.fetchOne(db.cachedStatement(sql: """
            INSERT INTO album(albumKey, title, albumArtist, year, compilation) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(albumKey) DO UPDATE SET
                year = COALESCE(album.year, excluded.year),
                compilation = max(album.compilation, excluded.compilation),
                albumArtist = COALESCE(album.albumArtist, excluded.albumArtist)
            RETURNING id
            """), arguments: [key, title, displayArtist, tags.year, tags.compilation])
        albumIDs[key] = id
        if let id, key != folderKey, let artistKey = tags.albumArtist.map(TextKey.fold),
           try AlbumGrouping.absorb(db, folderAlbum: folderKey, into: id, artistKey: artistKey) != nil {
            albumIDs[folderKey] = nil
        }
        return id
    }

    private mutating func artistID(for name: String) throws -> Int64 {
        try Self.namedRowID(name, in: db, cache: &artistIDs, sql: """
            INSERT INTO artist(name, nameKey) VALUES (?, ?) ON CONFLICT(nameKey) DO UPDATE SET nameKey = nameKey RETURNING id
            """)
    }

    private mutating func genreID(for name: String) throws -> Int64 {
        try Self.namedRowID(name, in: db, cache: &genreIDs, sql: """
            INSERT INTO genre(name, nameKey) VALUES (?, ?) ON CONFLICT(nameKey) DO UPDATE SET nameKey = nameKey RETURNING id
            """)
    }

    /// The id of the shared row named `name` (an artist or a genre, keyed by its folded name),
    /// inserted by `sql` (arguments: name, key; returns the id) when new; `cache` spares the
    /// statement for names this writer has seen.
    private static func namedRowID(_ name: String, in db: Database, cache: inout [String: Int64], sql: String) throws -> Int64 {
        let key = TextKey.fold(name)
        if let id = cache[key] { return id }
        let id = try Int64.fetchOne(db.cachedStatement(sql: sql), arguments: [name, key])!
        cache[key] = id
        return id
    }

    private mutating func artworkRowID(for artwork: StoredArtwork) throws -> Int64 {
        if let id = artworkIDs[artwork.hash] { return id }
        let id = try Int64.fetchOne(db.cachedStatement(sql: """
            INSERT INTO artwork(hash, mimeType, byteCount) VALUES (?, ?, ?)
            ON CONFLICT(hash) DO UPDATE SET hash = hash RETURNING id
            """), arguments: [artwork.hash, artwork.mimeType, artwork.byteCount])!
        artworkIDs[artwork.hash] = id
        return id
    }
}

/// Minimal JSON text for the list and object columns (no Foundation encoder on the hot path).
enum JSONText {
    /// `["a","b"]` with proper escaping.
    static func array(_ values: [String]) -> String {
        var out = "["
        for (index, value) in values.enumerated() {
            if index > 0 { out += "," }
            appendQuoted(value, to: &out)
        }
        out += "]"
        return out
    }

    static func appendQuoted(_ value: String, to out: inout String) {
        out += "\""
        // Nearly every tag needs no escape: append it whole instead of scalar by scalar (this
        // ran for every string column of every scanned track: 3.6 % of a scan's instructions).
        // UTF-8 bytes below 0x20, '"' and '\' only ever encode those ASCII characters.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += value
            out += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Encodes a Codable value with Foundation (rare fields only).
    static func encode<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes a JSON array of strings (empty on malformed input).
    static func decodeArray(_ text: String?) -> [String] {
        guard let text, let data = text.data(using: .utf8),
              let values = try? JSONDecoder().decode([String].self, from: data) else { return [] }
        return values
    }
}
