import Foundation
import GRDB
import OmniModel

/// A row of the `track` table, decoded, plus the relative path of its primary file.
///
/// A plain value: it crosses threads and actors freely. Tag columns are the tags *as read from
/// the file* with the user's overrides applied (the effective values; the file's own values are
/// in `Library.userState(uid:)`); list columns (stored as JSON arrays) are decoded into arrays.
/// The user state (`favorite`, `rating`, `playCount`, `lastPlayed`) comes from the materialized
/// operation tables (decision 0007).
public struct TrackRecord: Sendable, Equatable, Codable {
    /// The row id (local to this database; use `uid` across devices).
    public var id: Int64
    /// The recording's stable identity.
    public var uid: TrackUID
    /// The title (derived from the file name when `titleFromFileName`).
    public var title: String
    /// True when the file had no title tag.
    public var titleFromFileName: Bool
    /// The artist as one display string.
    public var artist: String?
    /// The individual artists, in file order.
    public var artists: [String]
    /// The album title.
    public var album: String?
    /// The album artist as one display string.
    public var albumArtist: String?
    /// The individual album artists.
    public var albumArtists: [String]
    /// The `album` row, when the track belongs to one.
    public var albumId: Int64?
    /// Track number and count, disc number and count, as tagged.
    public var trackNumber: Int?
    public var trackTotal: Int?
    public var discNumber: Int?
    public var discTotal: Int?
    /// The release year.
    public var year: Int?
    /// The release date as `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    public var date: String?
    /// The original release year.
    public var originalYear: Int?
    /// The genres, in file order.
    public var genres: [String]
    /// The composers joined for display, and one by one.
    public var composer: String?
    public var composers: [String]
    /// True for a track of a various-artists compilation.
    public var compilation: Bool
    /// Comment and label (publisher) tags.
    public var comment: String?
    public var label: String?
    /// Beats per minute.
    public var bpm: Double?
    /// The musical key tag (`TKEY`, `INITIALKEY`).
    public var musicalKey: String?
    /// ReplayGain values, when tagged.
    public var replayGain: ReplayGain?
    /// MusicBrainz identifiers, when tagged.
    public var musicBrainz: MusicBrainzIDs?
    /// Codec and container names as libavformat gives them.
    public var codec: String
    public var container: String
    /// Playable duration in milliseconds.
    public var durationMs: Int?
    /// Stream properties: Hz, channel count, bits per sample (lossless), bits per second.
    public var sampleRate: Int?
    public var channels: Int?
    public var bitsPerSample: Int?
    public var bitrate: Int?
    /// The embedded picture's `artwork` row.
    public var artworkId: Int64?
    /// The folder picture (`cover.jpg`) of the track's folder, used when nothing is embedded.
    public var folderArtworkId: Int64?
    /// True when the track has artwork, embedded or from its folder.
    public var hasArtwork: Bool
    /// The primary file's name (what the FTS index knows of the path).
    public var fileName: String
    /// When the track first entered the library, and when its row last changed.
    public var addedAt: Date
    public var updatedAt: Date
    /// The relative path (under its root) of the track's primary file — the one with the lowest
    /// `file.id` — as text, invalid UTF-8 shown as U+FFFD; empty when no file points at the track.
    public var path: String
    /// True when the user marked the track favorite (on any device).
    public var favorite: Bool
    /// The user's rating, 0...5, or nil.
    public var rating: Int?
    /// Completed plays, summed over devices.
    public var playCount: Int
    /// The last completed play on any device.
    public var lastPlayed: Date?
    /// True when one of the track's files is in a music folder that is online (false while its
    /// disk is unplugged: the track is kept, but cannot be played).
    public var available: Bool
    /// The analysed tempo and key (Camelot code) of the track's current `done` analysis, nil
    /// when it has none: the library table shows them where the file has no BPM or key tag
    /// (decision 0036). Not tags: nothing writes them back.
    public var analysedBpm: Double? = nil
    public var analysedCamelot: String? = nil

    /// The `track` columns, for building requests (one `Column` per column of the table).
    public enum Columns {
        public static let id = Column("id")
        public static let uid = Column("uid")
        public static let title = Column("title")
        public static let titleKey = Column("titleKey")
        public static let titleFromFileName = Column("titleFromFileName")
        public static let artist = Column("artist")
        public static let artists = Column("artists")
        public static let album = Column("album")
        public static let albumArtist = Column("albumArtist")
        public static let albumArtists = Column("albumArtists")
        public static let albumId = Column("albumId")
        public static let trackNumber = Column("trackNumber")
        public static let trackTotal = Column("trackTotal")
        public static let discNumber = Column("discNumber")
        public static let discTotal = Column("discTotal")
        public static let year = Column("year")
        public static let date = Column("date")
        public static let originalYear = Column("originalYear")
        public static let genres = Column("genres")
        public static let genreText = Column("genreText")
        public static let composer = Column("composer")
        public static let composers = Column("composers")
        public static let compilation = Column("compilation")
        public static let comment = Column("comment")
        public static let label = Column("label")
        public static let bpm = Column("bpm")
        public static let musicalKey = Column("musicalKey")
        public static let replayGain = Column("replayGain")
        public static let musicBrainz = Column("musicBrainz")
        public static let codec = Column("codec")
        public static let container = Column("container")
        public static let durationMs = Column("durationMs")
        public static let sampleRate = Column("sampleRate")
        public static let channels = Column("channels")
        public static let bitsPerSample = Column("bitsPerSample")
        public static let bitrate = Column("bitrate")
        public static let artworkId = Column("artworkId")
        public static let fileName = Column("fileName")
        public static let addedAt = Column("addedAt")
        public static let updatedAt = Column("updatedAt")
    }

    private enum CodingKeys: String, CodingKey {
        case id, uid, title, titleFromFileName, artist, artists, album, albumArtist, albumArtists, albumId
        case trackNumber, trackTotal, discNumber, discTotal, year, date, originalYear, genres, composer
        case composers, compilation, comment, label, bpm, musicalKey, replayGain, musicBrainz, codec
        case container, durationMs, sampleRate, channels, bitsPerSample, bitrate, artworkId, folderArtworkId, hasArtwork
        case fileName, addedAt, updatedAt, path, favorite, rating, playCount, lastPlayed, available
        case analysedBpm, analysedCamelot
    }
}

extension TrackRecord {
    /// The fields of the selection `init(row:)` decodes, in selection order: a field's raw value
    /// is its position in the row. `selection(alias:)` is generated from this list, so the two
    /// cannot drift. The decoder reads by position: looking columns up by name costs a
    /// case-insensitive search per column and per row.
    enum Field: Int, CaseIterable {
        // Columns of the `track` table (`column`).
        case id, uid, title, titleFromFileName, artist, artists, album, albumArtist, albumArtists
        case albumId, trackNumber, trackTotal, discNumber, discTotal, year, date, originalYear
        case genres, composer, composers, compilation, comment, label, bpm, musicalKey, replayGain
        case musicBrainz, codec, container, durationMs, sampleRate, channels, bitsPerSample, bitrate
        case artworkId, fileName, addedAt, updatedAt, folderArtworkId
        // Computed per row (`expression(track:)`): the primary file's path and the user state.
        case path, favorite, rating, playCount, lastPlayed, available
        // The analysis's tempo and key: lookups on trackAnalysis's primary key, like the user state.
        case analysedBpm, analysedCamelot

        /// This field's SQL expression; `t` is the name the `track` table has in the query.
        func expression(track t: String) -> String {
            switch self {
            case .path:
                "(SELECT file.relPath FROM file WHERE file.trackId = \(t).id ORDER BY file.id LIMIT 1) AS path"
            // User state: indexed lookups by uid, a few µs per row of a page.
            case .favorite:
                "EXISTS (SELECT 1 FROM favoriteItem WHERE favoriteItem.uid = \(t).uid)"
            case .rating:
                "(SELECT value FROM trackRating WHERE trackRating.uid = \(t).uid)"
            // Each device's count read clamped (decision 0017): a count stored before the bound
            // (2^63-1 from a hostile device) would overflow SQLite's sum() and fail every page.
            case .playCount:
                "(SELECT sum(max(min(count, \(UserDataValidation.maxPlayCount)), 0)) FROM trackPlay WHERE trackPlay.uid = \(t).uid)"
            case .lastPlayed:
                "(SELECT min(max(lastPlayed), \(HLCTimestamp.maxWallMs)) FROM trackPlay WHERE trackPlay.uid = \(t).uid)"
            case .available:
                "EXISTS (SELECT 1 FROM file JOIN root ON root.id = file.rootId WHERE file.trackId = \(t).id AND root.online)"
            case .analysedBpm:
                "(SELECT a.bpm FROM trackAnalysis a WHERE a.uid = \(t).uid AND a.status = 'done')"
            case .analysedCamelot:
                "(SELECT a.camelot FROM trackAnalysis a WHERE a.uid = \(t).uid AND a.status = 'done')"
            default:
                "\(t).\(column ?? "")"
            }
        }

        /// The `track` column this field reads, or nil for a computed field.
        var column: String? {
            switch self {
            case .id: "id"
            case .uid: "uid"
            case .title: "title"
            case .titleFromFileName: "titleFromFileName"
            case .artist: "artist"
            case .artists: "artists"
            case .album: "album"
            case .albumArtist: "albumArtist"
            case .albumArtists: "albumArtists"
            case .albumId: "albumId"
            case .trackNumber: "trackNumber"
            case .trackTotal: "trackTotal"
            case .discNumber: "discNumber"
            case .discTotal: "discTotal"
            case .year: "year"
            case .date: "date"
            case .originalYear: "originalYear"
            case .genres: "genres"
            case .composer: "composer"
            case .composers: "composers"
            case .compilation: "compilation"
            case .comment: "comment"
            case .label: "label"
            case .bpm: "bpm"
            case .musicalKey: "musicalKey"
            case .replayGain: "replayGain"
            case .musicBrainz: "musicBrainz"
            case .codec: "codec"
            case .container: "container"
            case .durationMs: "durationMs"
            case .sampleRate: "sampleRate"
            case .channels: "channels"
            case .bitsPerSample: "bitsPerSample"
            case .bitrate: "bitrate"
            case .artworkId: "artworkId"
            case .fileName: "fileName"
            case .addedAt: "addedAt"
            case .updatedAt: "updatedAt"
            case .folderArtworkId: "folderArtworkId"
            case .path, .favorite, .rating, .playCount, .lastPlayed, .available, .analysedBpm, .analysedCamelot: nil
            }
        }
    }

    /// The number of values `selection(alias:)` selects: a query that selects more after it
    /// finds them from this position on.
    static let selectionWidth = Field.allCases.count

    /// The SQL selection that `init(row:)` decodes: the track columns, `path` and the user state.
    /// `alias` is the name the `track` table has in the surrounding query.
    static func selection(alias: String = "track") -> String {
        alias == "track" ? trackSelection : Field.allCases.map { $0.expression(track: alias) }.joined(separator: ", ")
    }

    /// `selection()` for the usual alias, made once: every page of results asked for it, and
    /// building the 50-column text each time was about 1 % of a search3 request (`perf`).
    private static let trackSelection = Field.allCases.map { $0.expression(track: "track") }.joined(separator: ", ")

    /// A row's values, read by `Field`.
    private struct Values {
        let values: [DatabaseValue]
        init(_ row: Row) { values = Array(row.databaseValues) }
        subscript(field: Field) -> DatabaseValue { values[field.rawValue] }
    }

    /// Decodes a row selected with `selection(alias:)`. Malformed JSON lists decode as empty,
    /// malformed JSON objects as nil: a damaged tag must not hide the track.
    ///
    /// Values are read as `DatabaseValue`s and converted by hand: GRDB's generic `row[i]` costs
    /// a generic-metadata lookup per column, which was most of the cost of a page of results.
    init(row: Row) {
        let v = Values(row)
        id = Self.int64(v[.id]) ?? 0
        uid = TrackUID(rawValue: Self.text(v[.uid]) ?? "")
        title = Self.text(v[.title]) ?? ""
        titleFromFileName = Self.bool(v[.titleFromFileName])
        artist = Self.text(v[.artist])
        artists = Self.stringList(Self.text(v[.artists]))
        album = Self.text(v[.album])
        albumArtist = Self.text(v[.albumArtist])
        albumArtists = Self.stringList(Self.text(v[.albumArtists]))
        albumId = Self.int64(v[.albumId])
        trackNumber = Self.int(v[.trackNumber])
        trackTotal = Self.int(v[.trackTotal])
        discNumber = Self.int(v[.discNumber])
        discTotal = Self.int(v[.discTotal])
        year = Self.int(v[.year])
        date = Self.text(v[.date])
        originalYear = Self.int(v[.originalYear])
        genres = Self.stringList(Self.text(v[.genres]))
        composer = Self.text(v[.composer])
        composers = Self.stringList(Self.text(v[.composers]))
        compilation = Self.bool(v[.compilation])
        comment = Self.text(v[.comment])
        label = Self.text(v[.label])
        bpm = Self.double(v[.bpm])
        musicalKey = Self.text(v[.musicalKey])
        replayGain = Self.json(Self.text(v[.replayGain]))
        musicBrainz = Self.json(Self.text(v[.musicBrainz]))
        codec = Self.text(v[.codec]) ?? ""
        container = Self.text(v[.container]) ?? ""
        durationMs = Self.int(v[.durationMs])
        sampleRate = Self.int(v[.sampleRate])
        channels = Self.int(v[.channels])
        bitsPerSample = Self.int(v[.bitsPerSample])
        bitrate = Self.int(v[.bitrate])
        artworkId = Self.int64(v[.artworkId])
        fileName = Self.text(v[.fileName]) ?? ""
        addedAt = Self.date(v[.addedAt])
        updatedAt = Self.date(v[.updatedAt])
        folderArtworkId = Self.int64(v[.folderArtworkId])
        hasArtwork = artworkId != nil || folderArtworkId != nil
        switch v[.path].storage {
        case .blob(let bytes): path = String(decoding: bytes, as: UTF8.self)
        case .string(let text): path = text
        default: path = ""
        }
        favorite = Self.bool(v[.favorite])
        rating = Self.int(v[.rating])
        playCount = Self.int(v[.playCount]) ?? 0
        lastPlayed = Self.int64(v[.lastPlayed]).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        available = Self.bool(v[.available])
        analysedBpm = Self.double(v[.analysedBpm])
        analysedCamelot = Self.text(v[.analysedCamelot])
    }

    private static func int64(_ value: DatabaseValue) -> Int64? {
        switch value.storage {
        case .int64(let i): i
        case .double(let d): Int64(exactly: d.rounded(.towardZero))
        default: nil
        }
    }

    private static func int(_ value: DatabaseValue) -> Int? { int64(value).map { Int($0) } }

    private static func bool(_ value: DatabaseValue) -> Bool { (int64(value) ?? 0) != 0 }

    private static func double(_ value: DatabaseValue) -> Double? {
        switch value.storage {
        case .int64(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    private static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .string(let s): s
        case .blob(let data): String(decoding: data, as: UTF8.self)
        case .int64(let i): String(i)
        case .double(let d): String(d)
        case .null: nil
        }
    }

    /// Decodes a JSON array of strings. A page of 50 tracks has 200 such lists, and Foundation's
    /// `JSONDecoder` costs ~10 µs per call on Linux, so the common shape is parsed by hand
    /// (`JSONStringList`), falling back to `JSONDecoder` for anything unusual.
    private static func stringList(_ text: String?) -> [String] {
        guard let text else { return [] }
        if let list = JSONStringList.parse(text) { return list }
        return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    private static func json<T: Decodable>(_ text: String?) -> T? {
        guard let text, text != "null" else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// `addedAt`/`updatedAt` are REAL seconds since 1970; GRDB's text dates are accepted too.
    private static func date(_ value: DatabaseValue) -> Date {
        if let seconds = double(value) { return Date(timeIntervalSince1970: seconds) }
        return Date.fromDatabaseValue(value) ?? Date(timeIntervalSince1970: 0)
    }
}

/// A small parser for the one JSON shape the list columns hold: `["a", "b\\"c", ...]`.
enum JSONStringList {
    /// The strings of a JSON array of strings, or nil when `text` is not exactly that.
    static func parse(_ text: String) -> [String]? {
        var utf8 = Array(text.utf8)[...]
        func skipSpace() { while let b = utf8.first, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { utf8.removeFirst() } }
        skipSpace()
        guard utf8.popFirst() == UInt8(ascii: "[") else { return nil }
        var out: [String] = []
        skipSpace()
        if utf8.first == UInt8(ascii: "]") {
            utf8.removeFirst()
            skipSpace()
            return utf8.isEmpty ? out : nil
        }
        while true {
            skipSpace()
            guard utf8.popFirst() == UInt8(ascii: "\"") else { return nil }
            var bytes: [UInt8] = []
            while true {
                guard let b = utf8.popFirst() else { return nil }
                if b == UInt8(ascii: "\"") { break }
                if b != UInt8(ascii: "\\") { bytes.append(b); continue }
                guard let e = utf8.popFirst() else { return nil }
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                default: return nil // \uXXXX and anything else: let JSONDecoder handle it.
                }
            }
            out.append(String(decoding: bytes, as: UTF8.self))
            skipSpace()
            switch utf8.popFirst() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"):
                skipSpace()
                return utf8.isEmpty ? out : nil
            default: return nil
            }
        }
    }
}
