import Glibc
import LocalStore
import OmniModel

/// The song tags MPD 0.23 names and omnisonicd has values for, with MPD's spelling.
public enum Tag: String, CaseIterable, Sendable, Hashable {
    case artist = "Artist"
    case album = "Album"
    case albumArtist = "AlbumArtist"
    case title = "Title"
    case track = "Track"
    case genre = "Genre"
    case date = "Date"
    case originalDate = "OriginalDate"
    case composer = "Composer"
    case disc = "Disc"
    case label = "Label"
    case comment = "Comment"
    case musicBrainzArtistID = "MUSICBRAINZ_ARTISTID"
    case musicBrainzAlbumID = "MUSICBRAINZ_ALBUMID"
    case musicBrainzAlbumArtistID = "MUSICBRAINZ_ALBUMARTISTID"
    case musicBrainzTrackID = "MUSICBRAINZ_TRACKID"
    case musicBrainzReleaseTrackID = "MUSICBRAINZ_RELEASETRACKID"

    /// Case-insensitive lookup, as MPD parses tag names (`albumartist`, `ALBUMARTIST`).
    public static func named(_ name: String) -> Tag? { byLowercasedName[name.lowercased()] }

    /// MPD 0.23's other tag names (lowercased): songs here never have them, but clients name
    /// them in `tagtypes enable` (`mpc playlist` enables `Name`), which must not fail.
    static let otherMPDNames: Set<String> = [
        "artistsort", "albumsort", "albumartistsort", "titlesort", "name", "mood", "composersort", "performer",
        "conductor", "work", "ensemble", "movement", "movementnumber", "location", "grouping", "musicbrainz_workid",
    ]

    private static let byLowercasedName: [String: Tag] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })
}

/// One MPD song: a file of the library (two copies of a recording are two songs) and its track.
public struct Song: Sendable {
    /// The path as MPD clients name it: relative to the music folder, or under a top-level
    /// directory named after the folder when there are several.
    public var uri: String
    /// Seconds since 1970 (the file's modification time).
    public var modified: Int64
    public var track: TrackRecord

    /// The values of `tag` (several for a multi-valued tag, none when it is missing).
    public func values(_ tag: Tag) -> [String] {
        let t = track
        func one(_ v: String?) -> [String] { v.map { $0.isEmpty ? [] : [$0] } ?? [] }
        switch tag {
        case .artist: return one(t.artist)
        case .album: return one(t.album)
        case .albumArtist: return one(t.albumArtist)
        // A title taken from the file name is not a tag (MPD lists no Title then).
        case .title: return t.titleFromFileName ? [] : one(t.title)
        case .track: return t.trackNumber.map { [String($0)] } ?? []
        case .disc: return t.discNumber.map { [String($0)] } ?? []
        case .genre: return t.genres.filter { !$0.isEmpty }
        case .date: return one(t.date) + (t.date == nil ? (t.year.map { [String($0)] } ?? []) : [])
        case .originalDate: return t.originalYear.map { [String($0)] } ?? []
        case .composer: return t.composers.isEmpty ? one(t.composer) : t.composers
        case .label: return one(t.label)
        case .comment: return one(t.comment)
        case .musicBrainzArtistID: return t.musicBrainz?.artistIds ?? []
        case .musicBrainzAlbumID: return one(t.musicBrainz?.albumId)
        case .musicBrainzAlbumArtistID: return t.musicBrainz?.albumArtistIds ?? []
        case .musicBrainzTrackID: return one(t.musicBrainz?.recordingId)
        case .musicBrainzReleaseTrackID: return one(t.musicBrainz?.releaseTrackId)
        }
    }

    /// The values filters, `list`, `count` and `sort` use: `values(tag)`, except that a missing
    /// AlbumArtist falls back to Artist, as MPD's tag fallback does (the song's own lines keep
    /// only the real tags).
    public func matchValues(_ tag: Tag) -> [String] {
        let own = values(tag)
        return own.isEmpty && tag == .albumArtist ? values(.artist) : own
    }

    /// `samplerate:bits:channels` as MPD's `Format:` and `audio:` say it (`f` for a lossy
    /// codec).
    public var format: String? {
        guard let rate = track.sampleRate, let channels = track.channels else { return nil }
        // Lossy codecs decode to floating point (`f`), as MPD's FFmpeg decoder reports them.
        let bits = track.bitsPerSample.map(String.init) ?? "f"
        return "\(rate):\(bits):\(channels)"
    }

    /// Writes the song's lines (`file:`, `Last-Modified:`, tags, `Format:`, `Time:`, `duration:`)
    /// with the tags in `tags`.
    func write(into response: inout Response, tags: Set<Tag>) {
        response.add("file", uri)
        response.add("Last-Modified", Song.isoDate(modified))
        if let format { response.add("Format", format) }
        for tag in Tag.allCases where tags.contains(tag) {
            for value in values(tag) { response.add(tag.rawValue, value) }
        }
        if let ms = track.durationMs {
            response.add("Time", (ms + 500) / 1000)
            response.add("duration", Song.seconds(ms))
        }
    }

    /// Milliseconds as MPD's seconds with three decimals (`12.345`).
    static func seconds(_ ms: Int) -> String {
        let whole = ms / 1000, frac = ms % 1000
        return "\(whole)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + String(frac)
    }

    /// Seconds since 1970 as MPD's ISO 8601 UTC time (`2024-05-01T10:00:00Z`).
    static func isoDate(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Parses MPD's time arguments: seconds since 1970, or ISO 8601 (`2024-05-01T10:00:00Z`, or a date).
    static func parseTime(_ text: String) -> Int64? {
        if let seconds = Int64(text) { return seconds }
        let digits = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int32($0) }
        guard digits.count >= 3 else { return nil }
        var parts = tm()
        parts.tm_year = digits[0] - 1900
        parts.tm_mon = digits[1] - 1
        parts.tm_mday = digits[2]
        if digits.count >= 6 { parts.tm_hour = digits[3]; parts.tm_min = digits[4]; parts.tm_sec = digits[5] }
        return Int64(timegm(&parts))
    }
}
