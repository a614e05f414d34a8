import Foundation
import GRDB
import OmniModel

/// A row of the `track` table, decoded, plus the relative path of its primary file.
///
/// A plain value: it crosses threads and actors freely. Tag columns are the tags *as read from
/// the file*; list columns (stored as JSON arrays) are decoded into arrays.
public struct TrackRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var uid: TrackUID
    public var title: String
    public var titleFromFileName: Bool
    public var artist: String?
    public var artists: [String]
    public var album: String?
    public var albumArtist: String?
    public var albumArtists: [String]
    public var albumId: Int64?
    public var trackNumber: Int?
    public var trackTotal: Int?
    public var discNumber: Int?
    public var discTotal: Int?
    public var year: Int?
    public var date: String?
    public var originalYear: Int?
    public var genres: [String]
    public var composer: String?
    public var composers: [String]
    public var compilation: Bool
    public var comment: String?
    public var label: String?
    public var bpm: Double?
    public var musicalKey: String?
    public var replayGain: ReplayGain?
    public var musicBrainz: MusicBrainzIDs?
    public var codec: String
    public var container: String
    public var durationMs: Int?
    public var sampleRate: Int?
    public var channels: Int?
    public var bitsPerSample: Int?
    public var bitrate: Int?
    public var artworkId: Int64?
    /// True when the track has artwork (`artworkId` is set).
    public var hasArtwork: Bool { artworkId != nil }
    /// The primary file's name (what the FTS index knows of the path).
    public var fileName: String
    public var addedAt: Date
    public var updatedAt: Date
    /// The relative path (under its root) of the track's primary file — the one with the lowest
    /// `file.id` — as text, invalid UTF-8 shown as U+FFFD; empty when no file points at the track.
    public var path: String

    /// The `track` columns, for building requests.
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
        case container, durationMs, sampleRate, channels, bitsPerSample, bitrate, artworkId, fileName
        case addedAt, updatedAt, path
    }
}

extension TrackRecord {
    /// The SQL selection that `init(row:)` decodes: every track column plus `path`.
    /// `alias` is the name the `track` table has in the surrounding query.
    static func selection(alias: String = "track") -> String {
        "\(alias).*, (SELECT file.relPath FROM file WHERE file.trackId = \(alias).id ORDER BY file.id LIMIT 1) AS path"
    }

    /// Decodes a row selected with `selection(alias:)`. Malformed JSON lists decode as empty,
    /// malformed JSON objects as nil: a damaged tag must not hide the track.
    init(row: Row) {
        id = row["id"]
        uid = TrackUID(rawValue: row["uid"])
        title = row["title"]
        titleFromFileName = row["titleFromFileName"]
        artist = row["artist"]
        artists = Self.stringList(row["artists"])
        album = row["album"]
        albumArtist = row["albumArtist"]
        albumArtists = Self.stringList(row["albumArtists"])
        albumId = row["albumId"]
        trackNumber = row["trackNumber"]
        trackTotal = row["trackTotal"]
        discNumber = row["discNumber"]
        discTotal = row["discTotal"]
        year = row["year"]
        date = row["date"]
        originalYear = row["originalYear"]
        genres = Self.stringList(row["genres"])
        composer = row["composer"]
        composers = Self.stringList(row["composers"])
        compilation = row["compilation"]
        comment = row["comment"]
        label = row["label"]
        bpm = row["bpm"]
        musicalKey = row["musicalKey"]
        replayGain = Self.json(row["replayGain"])
        musicBrainz = Self.json(row["musicBrainz"])
        codec = row["codec"]
        container = row["container"]
        durationMs = row["durationMs"]
        sampleRate = row["sampleRate"]
        channels = row["channels"]
        bitsPerSample = row["bitsPerSample"]
        bitrate = row["bitrate"]
        artworkId = row["artworkId"]
        fileName = row["fileName"]
        addedAt = Self.date(row["addedAt"])
        updatedAt = Self.date(row["updatedAt"])
        if let bytes: Data = row["path"] {
            path = String(decoding: bytes, as: UTF8.self)
        } else {
            path = ""
        }
    }

    private static func stringList(_ text: String?) -> [String] {
        guard let text, let data = text.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: data)) ?? []
    }

    private static func json<T: Decodable>(_ text: String?) -> T? {
        guard let text, let data = text.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(T.self, from: data)
    }

    /// `addedAt`/`updatedAt` are REAL seconds since 1970; GRDB's text dates are accepted too.
    private static func date(_ value: DatabaseValue) -> Date {
        if let seconds = Double.fromDatabaseValue(value) { return Date(timeIntervalSince1970: seconds) }
        return Date.fromDatabaseValue(value) ?? Date(timeIntervalSince1970: 0)
    }
}
