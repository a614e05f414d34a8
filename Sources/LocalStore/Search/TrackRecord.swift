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
    }
}

extension TrackRecord {
    /// The `track` columns `init(row:)` decodes, in order (by position: looking columns up by
    /// name costs a case-insensitive search per column and per row).
    static let columnNames = [
        "id", "uid", "title", "titleFromFileName", "artist", "artists", "album", "albumArtist", "albumArtists",
        "albumId", "trackNumber", "trackTotal", "discNumber", "discTotal", "year", "date", "originalYear",
        "genres", "composer", "composers", "compilation", "comment", "label", "bpm", "musicalKey", "replayGain",
        "musicBrainz", "codec", "container", "durationMs", "sampleRate", "channels", "bitsPerSample", "bitrate",
        "artworkId", "fileName", "addedAt", "updatedAt", "folderArtworkId",
    ]

    /// The SQL selection that `init(row:)` decodes: the track columns plus `path`.
    /// `alias` is the name the `track` table has in the surrounding query.
    static func selection(alias: String = "track") -> String {
        columnNames.map { "\(alias).\($0)" }.joined(separator: ", ")
            + ", (SELECT file.relPath FROM file WHERE file.trackId = \(alias).id ORDER BY file.id LIMIT 1) AS path"
            // User state: indexed lookups by uid, a few µs per row of a page.
            + ", EXISTS (SELECT 1 FROM favoriteItem WHERE favoriteItem.uid = \(alias).uid)"
            + ", (SELECT value FROM trackRating WHERE trackRating.uid = \(alias).uid)"
            + ", (SELECT sum(max(min(count, \(UserDataValidation.maxPlayCount)), 0)) FROM trackPlay WHERE trackPlay.uid = \(alias).uid)"
            // Each device's count read clamped (decision 0017): a count stored before the bound
            // (2^63-1 from a hostile device) would overflow SQLite's sum() and fail every page.
            + ", (SELECT min(max(lastPlayed), \(HLCTimestamp.maxWallMs)) FROM trackPlay WHERE trackPlay.uid = \(alias).uid)"
            + ", EXISTS (SELECT 1 FROM file JOIN root ON root.id = file.rootId WHERE file.trackId = \(alias).id AND root.online)"
    }

    /// Decodes a row selected with `selection(alias:)`. Malformed JSON lists decode as empty,
    /// malformed JSON objects as nil: a damaged tag must not hide the track.
    ///
    /// Values are read as `DatabaseValue`s and converted by hand: GRDB's generic `row[i]` costs
    /// a generic-metadata lookup per column, which was most of the cost of a page of results.
    init(row: Row) {
        let v = Array(row.databaseValues)
        id = Self.int64(v[0]) ?? 0
        uid = TrackUID(rawValue: Self.text(v[1]) ?? "")
        title = Self.text(v[2]) ?? ""
        titleFromFileName = Self.bool(v[3])
        artist = Self.text(v[4])
        artists = Self.stringList(Self.text(v[5]))
        album = Self.text(v[6])
        albumArtist = Self.text(v[7])
        albumArtists = Self.stringList(Self.text(v[8]))
        albumId = Self.int64(v[9])
        trackNumber = Self.int(v[10])
        trackTotal = Self.int(v[11])
        discNumber = Self.int(v[12])
        discTotal = Self.int(v[13])
        year = Self.int(v[14])
        date = Self.text(v[15])
        originalYear = Self.int(v[16])
        genres = Self.stringList(Self.text(v[17]))
        composer = Self.text(v[18])
        composers = Self.stringList(Self.text(v[19]))
        compilation = Self.bool(v[20])
        comment = Self.text(v[21])
        label = Self.text(v[22])
        bpm = Self.double(v[23])
        musicalKey = Self.text(v[24])
        replayGain = Self.json(Self.text(v[25]))
        musicBrainz = Self.json(Self.text(v[26]))
        codec = Self.text(v[27]) ?? ""
        container = Self.text(v[28]) ?? ""
        durationMs = Self.int(v[29])
        sampleRate = Self.int(v[30])
        channels = Self.int(v[31])
        bitsPerSample = Self.int(v[32])
        bitrate = Self.int(v[33])
        artworkId = Self.int64(v[34])
        fileName = Self.text(v[35]) ?? ""
        addedAt = Self.date(v[36])
        updatedAt = Self.date(v[37])
        folderArtworkId = Self.int64(v[38])
        hasArtwork = artworkId != nil || folderArtworkId != nil
        switch v[39].storage {
        case .blob(let bytes): path = String(decoding: bytes, as: UTF8.self)
        case .string(let text): path = text
        default: path = ""
        }
        favorite = Self.bool(v[40])
        rating = Self.int(v[41])
        playCount = Self.int(v[42]) ?? 0
        lastPlayed = Self.int64(v[43]).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        available = Self.bool(v[44])
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
