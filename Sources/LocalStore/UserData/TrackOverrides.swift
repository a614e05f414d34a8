import Foundation
import GRDB
import OmniModel

/// The editable tags of a track as read from its file, kept in `track.fileTags` so that the
/// `track` columns can hold the effective values (file tags with the user's overrides applied)
/// and a reset can restore what the file said.
public struct TrackFileTags: Sendable, Equatable, Codable {
    public var title: String
    /// True when the file had no title tag (the title came from the file name).
    public var titleFromFileName: Bool
    public var artist: String?
    public var artists: [String]
    public var album: String?
    public var albumArtist: String?
    public var albumArtists: [String]
    public var year: Int?
    public var genres: [String]
    public var trackNumber: Int?
    public var discNumber: Int?
    public var bpm: Double?
    public var key: String?

    /// The editable part of `tags`.
    public init(_ tags: TrackTags) {
        title = tags.title
        titleFromFileName = tags.titleFromFileName
        artist = tags.artist
        artists = tags.artists
        album = tags.album
        albumArtist = tags.albumArtist
        albumArtists = tags.albumArtists
        year = tags.year
        genres = tags.genres
        trackNumber = tags.trackNumber
        discNumber = tags.discNumber
        bpm = tags.bpm
        key = tags.key
    }

    /// The file's value of an editable field, in the form an override of it takes (nil: no value).
    public func value(of field: TrackField) -> TrackFieldValue? {
        switch field {
        case .title: .text(title)
        case .artist: artist.map { .text($0) }
        case .album: album.map { .text($0) }
        case .albumArtist: albumArtist.map { .text($0) }
        case .year: year.map { .integer($0) }
        case .genres: .list(genres)
        case .trackNumber: trackNumber.map { .integer($0) }
        case .discNumber: discNumber.map { .integer($0) }
        case .bpm: bpm.map { .number($0) }
        case .key: key.map { .text($0) }
        }
    }

    /// These fields written over `tags` (the non-editable fields of `tags` stay).
    func write(into tags: inout TrackTags) {
        tags.title = title
        tags.titleFromFileName = titleFromFileName
        tags.artist = artist
        tags.artists = artists
        tags.album = album
        tags.albumArtist = albumArtist
        tags.albumArtists = albumArtists
        tags.year = year
        tags.genres = genres
        tags.trackNumber = trackNumber
        tags.discNumber = discNumber
        tags.bpm = bpm
        tags.key = key
    }

    /// The JSON of the `fileTags` column, written by hand (this runs for every scanned track,
    /// and Foundation's encoder costs ~10 µs a call on Linux).
    var json: String {
        var out = "{\"title\":"
        JSONText.appendQuoted(title, to: &out)
        out += ",\"titleFromFileName\":" + (titleFromFileName ? "true" : "false")
        func text(_ key: String, _ value: String?) {
            guard let value else { return }
            out += ",\"\(key)\":"
            JSONText.appendQuoted(value, to: &out)
        }
        func number(_ key: String, _ value: String?) {
            guard let value else { return }
            out += ",\"\(key)\":" + value
        }
        text("artist", artist)
        out += ",\"artists\":" + JSONText.array(artists)
        text("album", album)
        text("albumArtist", albumArtist)
        out += ",\"albumArtists\":" + JSONText.array(albumArtists)
        number("year", year.map(String.init))
        out += ",\"genres\":" + JSONText.array(genres)
        number("trackNumber", trackNumber.map(String.init))
        number("discNumber", discNumber.map(String.init))
        number("bpm", bpm.flatMap { $0.isFinite ? String($0) : nil })
        text("key", key)
        return out + "}"
    }

    /// The editable columns of a track row as they are (for rows that have no `fileTags`).
    static func fromColumns(trackID: Int64, in db: Database) throws -> TrackFileTags? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT title, titleFromFileName, artist, artists, album, albumArtist, albumArtists, year, genres,
                   trackNumber, discNumber, bpm, musicalKey FROM track WHERE id = ?
            """, arguments: [trackID]) else { return nil }
        var tags = TrackTags(title: row[0])
        tags.titleFromFileName = row[1]
        tags.artist = row[2]
        tags.artists = JSONText.decodeArray(row[3])
        tags.album = row[4]
        tags.albumArtist = row[5]
        tags.albumArtists = JSONText.decodeArray(row[6])
        tags.year = row[7]
        tags.genres = JSONText.decodeArray(row[8])
        tags.trackNumber = row[9]
        tags.discNumber = row[10]
        tags.bpm = row[11]
        tags.key = row[12]
        return TrackFileTags(tags)
    }

    /// Decodes the `fileTags` column (nil when absent or malformed).
    static func decode(_ text: String?) -> TrackFileTags? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(TrackFileTags.self, from: Data(text.utf8))
    }

    private enum CodingKeys: String, CodingKey {
        case title, titleFromFileName, artist, artists, album, albumArtist, albumArtists, year, genres
        case trackNumber, discNumber, bpm, key
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        title = try c.decode(String.self, forKey: .title)
        titleFromFileName = try c.decodeIfPresent(Bool.self, forKey: .titleFromFileName) ?? false
        artist = try c.decodeIfPresent(String.self, forKey: .artist)
        artists = try c.decodeIfPresent([String].self, forKey: .artists) ?? []
        album = try c.decodeIfPresent(String.self, forKey: .album)
        albumArtist = try c.decodeIfPresent(String.self, forKey: .albumArtist)
        albumArtists = try c.decodeIfPresent([String].self, forKey: .albumArtists) ?? []
        year = try c.decodeIfPresent(Int.self, forKey: .year)
        genres = try c.decodeIfPresent([String].self, forKey: .genres) ?? []
        trackNumber = try c.decodeIfPresent(Int.self, forKey: .trackNumber)
        discNumber = try c.decodeIfPresent(Int.self, forKey: .discNumber)
        bpm = try c.decodeIfPresent(Double.self, forKey: .bpm)
        key = try c.decodeIfPresent(String.self, forKey: .key)
    }
}

/// Validation, storage and application of track overrides.
enum TrackOverrides {
    static let maxTextLength = UserDataValidation.maxTextLength

    /// Checks a value for a field and returns it normalized (text trimmed, whole numbers given
    /// as `number` turned into `integer`, genres that fold alike kept once, first spelling first).
    /// The check is the one every replica and the sync server make (`UserDataValidation`).
    ///
    /// - Throws: `StoreError` `.invalid` with a message naming the field and the rule.
    static func validate(_ field: TrackField, _ value: TrackFieldValue) throws(StoreError) -> TrackFieldValue {
        let checked: TrackFieldValue
        do {
            checked = try UserDataValidation.trackValue(field, value)
        } catch {
            throw StoreError(error)
        }
        guard case .list(let genres) = checked else { return checked }
        var seen = Set<String>()
        return .list(genres.filter { seen.insert(TextKey.fold($0)).inserted })
    }

    /// Writes validated overrides over `tags`. An empty text clears an optional field.
    static func apply(_ overrides: [TrackField: TrackFieldValue], to tags: inout TrackTags) {
        for (field, value) in overrides {
            switch (field, value) {
            case (.title, .text(let t)):
                tags.title = t
                tags.titleFromFileName = false
            case (.artist, .text(let t)):
                tags.artist = t.isEmpty ? nil : t
                tags.artists = t.isEmpty ? [] : [t]
            case (.album, .text(let t)): tags.album = t.isEmpty ? nil : t
            case (.albumArtist, .text(let t)):
                tags.albumArtist = t.isEmpty ? nil : t
                tags.albumArtists = t.isEmpty ? [] : [t]
            case (.year, .integer(let i)): tags.year = i
            case (.genres, .list(let l)): tags.genres = l
            case (.trackNumber, .integer(let i)): tags.trackNumber = i
            case (.discNumber, .integer(let i)): tags.discNumber = i
            case (.bpm, .number(let d)): tags.bpm = d
            case (.key, .text(let t)): tags.key = t.isEmpty ? nil : t
            default: break // a stored value of the wrong shape is ignored (validated on the way in)
            }
        }
    }

    /// The stored JSON of a value.
    static func encode(_ value: TrackFieldValue) -> String {
        switch value {
        case .text(let t):
            var out = ""
            JSONText.appendQuoted(t, to: &out)
            return out
        case .integer(let i): return String(i)
        case .number(let d): return d.isFinite ? String(d) : "null"
        case .list(let l): return JSONText.array(l)
        }
    }

    /// Decodes a stored value as the field's type (nil when malformed).
    static func decode(_ text: String, for field: TrackField) -> TrackFieldValue? {
        guard let raw = try? JSONDecoder().decode(TrackFieldValue.self, from: Data(text.utf8)) else { return nil }
        return try? validate(field, raw)
    }

    /// The overrides in force for a track (resets excluded).
    static func load(uid: String, in db: Database) throws -> [TrackField: TrackFieldValue] {
        var result: [TrackField: TrackFieldValue] = [:]
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT field, value FROM trackOverride WHERE uid = ? AND value IS NOT NULL"),
                                    arguments: [uid])
        for row in rows {
            guard let field = TrackField(rawValue: row[0]), let value = decode(row[1], for: field) else { continue }
            result[field] = value
        }
        return result
    }

    /// Recomputes a track's display columns from its file tags and current overrides, keeping the
    /// search index in step (the rule of `SearchIndex`). Does nothing when no track has this uid.
    static func refresh(uid: String, in db: Database, now: Double) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT id, fileTags, composer, composers, compilation FROM track WHERE uid = ?
            """), arguments: [uid]) else { return }
        let trackID: Int64 = row[0]
        let fileTags: TrackFileTags
        if let stored = TrackFileTags.decode(row[1]) {
            fileTags = stored
        } else {
            // A row written outside the scan path (bulk loads, fixtures) has no fileTags; its
            // columns were never overridden (only this function does that, after saving them).
            guard let read = try TrackFileTags.fromColumns(trackID: trackID, in: db) else { return }
            fileTags = read
            try db.cachedStatement(sql: "UPDATE track SET fileTags = ? WHERE id = ?").execute(arguments: [fileTags.json, trackID])
        }
        var tags = TrackTags(title: fileTags.title)
        fileTags.write(into: &tags)
        tags.composer = row[2]
        tags.composers = JSONText.decodeArray(row[3])
        tags.compilation = row[4]
        apply(try load(uid: uid, in: db), to: &tags)
        try SearchIndex.remove([trackID], in: db)
        var writer = TrackWriter(db: db, now: now)
        try writer.rewriteTags(trackID: trackID, tags: tags)
        try SearchIndex.add([trackID], in: db)
    }
}
