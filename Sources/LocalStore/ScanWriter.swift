import Foundation
import GRDB
import OmniModel

/// Writes scan results inside one open transaction (see `Library.apply(_:)`).
///
/// Rules:
/// - A track row is keyed by `uid`. The tags come from the track's *primary* file, the file
///   with the lowest id that holds it; another copy of the same recording links to the track
///   without changing its tags.
/// - A changed file whose audio changed gets a new uid: it points at a new track and the old
///   track, if no file holds it any more, is removed by `Library.finishScan()`.
/// - Artists, genres and albums are shared rows keyed by their folded name (`TextKey`).
struct ScanWriter {
    let db: Database
    let now: Double
    private var artistIDs: [String: Int64] = [:]
    private var genreIDs: [String: Int64] = [:]
    private var artworkIDs: [String: Int64] = [:]

    init(db: Database, now: Double) {
        self.db = db
        self.now = now
    }

    mutating func save(_ probed: ScanBatch.Probed) throws {
        let entry = probed.entry
        let path = Data(entry.relativePath.bytes)
        switch probed.outcome {
        case .failed(let code, let message):
            try db.execute(sql: """
                INSERT INTO file(rootId, relPath, size, mtimeNs, ctimeNs, inode, device, trackId, probeErrorCode, probeError, scannedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)
                ON CONFLICT(rootId, relPath) DO UPDATE SET
                    size = excluded.size, mtimeNs = excluded.mtimeNs, ctimeNs = excluded.ctimeNs, inode = excluded.inode,
                    device = excluded.device, trackId = NULL, probeErrorCode = excluded.probeErrorCode,
                    probeError = excluded.probeError, scannedAt = excluded.scannedAt
                """, arguments: [probed.rootID, path, entry.size, entry.mtimeNs, entry.ctimeNs,
                                 Int64(bitPattern: entry.inode), Int64(bitPattern: entry.device), code, message, now])

        case .track(let result, let artwork, let folderArtwork):
            // The file row first, so the primary-file rule can see it.
            let fileID = try Int64.fetchOne(db, sql: """
                INSERT INTO file(rootId, relPath, size, mtimeNs, ctimeNs, inode, device, trackId, probeErrorCode, probeError, scannedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)
                ON CONFLICT(rootId, relPath) DO UPDATE SET
                    size = excluded.size, mtimeNs = excluded.mtimeNs, ctimeNs = excluded.ctimeNs, inode = excluded.inode,
                    device = excluded.device, probeErrorCode = NULL, probeError = NULL, scannedAt = excluded.scannedAt
                RETURNING id
                """, arguments: [probed.rootID, path, entry.size, entry.mtimeNs, entry.ctimeNs,
                                 Int64(bitPattern: entry.inode), Int64(bitPattern: entry.device), now])!

            let existing = try Row.fetchOne(db, sql: """
                SELECT track.id, (SELECT min(file.id) FROM file WHERE file.trackId = track.id AND file.id <> ?) AS otherFile
                FROM track WHERE uid = ?
                """, arguments: [fileID, result.uid.rawValue])
            let trackID: Int64
            if let existing, let other: Int64 = existing["otherFile"], other < fileID {
                // Another copy of this recording is the primary file: link only.
                trackID = existing["id"]
            } else {
                let artworkID = try artwork.map { try self.artworkRowID(for: $0) }
                let folderArtworkID = try folderArtwork.map { try self.artworkRowID(for: $0) }
                trackID = try upsertTrack(result, folder: entry.relativePath.deletingLastComponent, rootID: probed.rootID,
                                          fileName: entry.relativePath.lastComponent.displayString,
                                          artworkID: artworkID, folderArtworkID: folderArtworkID)
            }
            try db.execute(sql: "UPDATE file SET trackId = ? WHERE id = ?", arguments: [trackID, fileID])
        }
    }

    mutating func move(_ moved: ScanBatch.Moved) throws {
        let entry = moved.entry
        // Another file may already sit at the destination path (replaced by the move): it is gone.
        try db.execute(sql: "DELETE FROM file WHERE rootId = ? AND relPath = ? AND id <> ?",
                       arguments: [moved.rootID, Data(entry.relativePath.bytes), moved.fileID])
        try db.execute(sql: """
            UPDATE file SET rootId = ?, relPath = ?, size = ?, mtimeNs = ?, ctimeNs = ?, inode = ?, device = ?, scannedAt = ?
            WHERE id = ?
            """, arguments: [moved.rootID, Data(entry.relativePath.bytes), entry.size, entry.mtimeNs, entry.ctimeNs,
                             Int64(bitPattern: entry.inode), Int64(bitPattern: entry.device), now, moved.fileID])
        // The file name is searchable: keep it in step when this file is the track's primary file.
        try db.execute(sql: """
            UPDATE track SET fileName = ?, updatedAt = ?
            WHERE id = (SELECT trackId FROM file WHERE id = ?)
              AND (SELECT min(id) FROM file WHERE trackId = track.id) = ?
            """, arguments: [entry.relativePath.lastComponent.displayString, now, moved.fileID, moved.fileID])
    }

    mutating func saveFolderPicture(_ picture: ScanBatch.FolderPicture) throws {
        let artworkID = try picture.artwork.map { try self.artworkRowID(for: $0) }
        let folder = Data(picture.folder.bytes)
        try db.execute(sql: """
            INSERT INTO folderArtwork(rootId, folder, relPath, size, mtimeNs, artworkId) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(rootId, folder) DO UPDATE SET relPath = excluded.relPath, size = excluded.size,
                mtimeNs = excluded.mtimeNs, artworkId = excluded.artworkId
            """, arguments: [picture.rootID, folder, Data(picture.relativePath.bytes), picture.size, picture.mtimeNs, artworkID])
        try setFolderArtwork(rootID: picture.rootID, folder: picture.folder, artworkID: artworkID)
    }

    mutating func removeFolderPicture(rootID: Int64, folder: RawPath) throws {
        try db.execute(sql: "DELETE FROM folderArtwork WHERE rootId = ? AND folder = ?", arguments: [rootID, Data(folder.bytes)])
        try setFolderArtwork(rootID: rootID, folder: folder, artworkID: nil)
    }

    /// Points the tracks of the files directly inside `folder` at its picture.
    private func setFolderArtwork(rootID: Int64, folder: RawPath, artworkID: Int64?) throws {
        let prefix = folder.isEmpty ? [] : folder.bytes + [UInt8(ascii: "/")]
        // Direct children: the path starts with the prefix and has no further slash.
        try db.execute(sql: """
            UPDATE track SET folderArtworkId = ? WHERE id IN (
                SELECT trackId FROM file WHERE rootId = ? AND trackId IS NOT NULL
                  AND substr(relPath, 1, ?) = ? AND instr(substr(relPath, ? + 1), X'2F') = 0)
            """, arguments: [artworkID, rootID, prefix.count, Data(prefix), prefix.count])
    }

    // MARK: - Tracks

    private mutating func upsertTrack(_ result: ProbeResult, folder: RawPath, rootID: Int64, fileName: String,
                                      artworkID: Int64?, folderArtworkID: Int64?) throws -> Int64 {
        let tags = result.tags
        let audio = result.audio
        let albumID = try upsertAlbum(tags, folder: folder, rootID: rootID)
        var arguments: StatementArguments = [
            result.uid.rawValue, tags.title, TextKey.fold(tags.title), tags.titleFromFileName,
            tags.artist, JSONText.array(tags.artists), tags.album, tags.albumArtist, JSONText.array(tags.albumArtists), albumID,
            tags.trackNumber, tags.trackTotal, tags.discNumber, tags.discTotal, tags.year, tags.date, tags.originalYear,
            JSONText.array(tags.genres), tags.genres.isEmpty ? nil : tags.genres.joined(separator: "; "),
            tags.composer, JSONText.array(tags.composers), tags.compilation, tags.comment, tags.label, tags.bpm, tags.key,
        ]
        arguments += [
            tags.replayGain.flatMap { $0.isEmpty ? nil : JSONText.encode($0) },
            tags.musicBrainz.flatMap { $0.isEmpty ? nil : JSONText.encode($0) },
            audio.codec, audio.container, audio.durationMs, audio.sampleRate, audio.channels, audio.bitsPerSample, audio.bitrate,
            artworkID, folderArtworkID, fileName, now, now,
        ]
        let trackID = try Int64.fetchOne(db, sql: """
            INSERT INTO track(uid, title, titleKey, titleFromFileName, artist, artists, album, albumArtist, albumArtists, albumId,
                trackNumber, trackTotal, discNumber, discTotal, year, date, originalYear, genres, genreText,
                composer, composers, compilation, comment, label, bpm, musicalKey, replayGain, musicBrainz,
                codec, container, durationMs, sampleRate, channels, bitsPerSample, bitrate,
                artworkId, folderArtworkId, fileName, addedAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(uid) DO UPDATE SET
                title = excluded.title, titleKey = excluded.titleKey, titleFromFileName = excluded.titleFromFileName,
                artist = excluded.artist, artists = excluded.artists, album = excluded.album,
                albumArtist = excluded.albumArtist, albumArtists = excluded.albumArtists, albumId = excluded.albumId,
                trackNumber = excluded.trackNumber, trackTotal = excluded.trackTotal, discNumber = excluded.discNumber,
                discTotal = excluded.discTotal, year = excluded.year, date = excluded.date, originalYear = excluded.originalYear,
                genres = excluded.genres, genreText = excluded.genreText, composer = excluded.composer,
                composers = excluded.composers, compilation = excluded.compilation, comment = excluded.comment,
                label = excluded.label, bpm = excluded.bpm, musicalKey = excluded.musicalKey,
                replayGain = excluded.replayGain, musicBrainz = excluded.musicBrainz, codec = excluded.codec,
                container = excluded.container, durationMs = excluded.durationMs, sampleRate = excluded.sampleRate,
                channels = excluded.channels, bitsPerSample = excluded.bitsPerSample, bitrate = excluded.bitrate,
                artworkId = excluded.artworkId, folderArtworkId = excluded.folderArtworkId, fileName = excluded.fileName,
                updatedAt = excluded.updatedAt
            RETURNING id
            """, arguments: arguments)!

        try db.execute(sql: "DELETE FROM trackArtist WHERE trackId = ?", arguments: [trackID])
        for (role, names) in [("artist", tags.artists), ("albumartist", tags.albumArtists), ("composer", tags.composers)] {
            for (position, name) in names.enumerated() {
                let artistID = try artistID(for: name)
                try db.execute(sql: "INSERT OR IGNORE INTO trackArtist(trackId, artistId, role, position) VALUES (?, ?, ?, ?)",
                               arguments: [trackID, artistID, role, position])
            }
        }
        try db.execute(sql: "DELETE FROM trackGenre WHERE trackId = ?", arguments: [trackID])
        for (position, name) in tags.genres.enumerated() {
            let genreID = try genreID(for: name)
            try db.execute(sql: "INSERT OR IGNORE INTO trackGenre(trackId, genreId, position) VALUES (?, ?, ?)",
                           arguments: [trackID, genreID, position])
        }
        return trackID
    }

    /// Albums are grouped by title and album artist; without an album artist, a compilation is
    /// "Various Artists" and anything else is grouped by folder, so one folder of tracks by
    /// several artists stays one album.
    private func upsertAlbum(_ tags: TrackTags, folder: RawPath, rootID: Int64) throws -> Int64? {
        guard let title = tags.album else { return nil }
        let owner: String
        if let albumArtist = tags.albumArtist {
            owner = "a:" + TextKey.fold(albumArtist)
        } else if tags.compilation {
            owner = "a:various artists"
        } else {
            owner = "d:\(rootID):" + folder.displayString
        }
        let key = TextKey.fold(title) + "\u{1F}" + owner
        let displayArtist = tags.albumArtist ?? (tags.compilation ? "Various Artists" : tags.artist)
        return try Int64.fetchOne(db, sql: """
            INSERT INTO album(albumKey, title, albumArtist, year, compilation) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(albumKey) DO UPDATE SET
                year = COALESCE(album.year, excluded.year),
                compilation = max(album.compilation, excluded.compilation),
                albumArtist = COALESCE(album.albumArtist, excluded.albumArtist)
            RETURNING id
            """, arguments: [key, title, displayArtist, tags.year, tags.compilation])
    }

    private mutating func artistID(for name: String) throws -> Int64 {
        let key = TextKey.fold(name)
        if let id = artistIDs[key] { return id }
        let id = try Int64.fetchOne(db, sql: """
            INSERT INTO artist(name, nameKey) VALUES (?, ?) ON CONFLICT(nameKey) DO UPDATE SET nameKey = nameKey RETURNING id
            """, arguments: [name, key])!
        artistIDs[key] = id
        return id
    }

    private mutating func genreID(for name: String) throws -> Int64 {
        let key = TextKey.fold(name)
        if let id = genreIDs[key] { return id }
        let id = try Int64.fetchOne(db, sql: """
            INSERT INTO genre(name, nameKey) VALUES (?, ?) ON CONFLICT(nameKey) DO UPDATE SET nameKey = nameKey RETURNING id
            """, arguments: [name, key])!
        genreIDs[key] = id
        return id
    }

    private mutating func artworkRowID(for artwork: StoredArtwork) throws -> Int64 {
        if let id = artworkIDs[artwork.hash] { return id }
        let id = try Int64.fetchOne(db, sql: """
            INSERT INTO artwork(hash, mimeType, byteCount) VALUES (?, ?, ?)
            ON CONFLICT(hash) DO UPDATE SET hash = hash RETURNING id
            """, arguments: [artwork.hash, artwork.mimeType, artwork.byteCount])!
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
