/// The JSON shape of a track, shared by `omnisonicd probe`, `omnisonicd search` and the HTTP API.
///
/// Keys are stable (clients depend on them). Optional values are omitted when absent, lists are
/// always present. `uid` is absent only from `probe` output of a file that is not in a library
/// — `probe` still computes it, so it is present there too.
public struct TrackDocument: Sendable, Equatable, Codable {
    public var uid: String?
    /// For `probe`, the path as given; for a library track, the path relative to its music root.
    public var path: String
    public var title: String
    public var artist: String?
    public var artists: [String]
    public var album: String?
    public var albumArtist: String?
    public var albumArtists: [String]
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
    public var key: String?
    public var durationMs: Int?
    public var codec: String
    public var container: String
    public var sampleRate: Int?
    public var channels: Int?
    public var bitsPerSample: Int?
    public var bitrate: Int?
    public var hasArtwork: Bool
    public var titleFromFileName: Bool
    public var replayGain: ReplayGain?
    public var musicBrainz: MusicBrainzIDs?

    /// Builds the document from what the tag reader found.
    public init(uid: TrackUID?, path: String, tags: TrackTags, audio: AudioProperties, hasArtwork: Bool) {
        self.uid = uid?.rawValue
        self.path = path
        title = tags.title
        artist = tags.artist
        artists = tags.artists
        album = tags.album
        albumArtist = tags.albumArtist
        albumArtists = tags.albumArtists
        trackNumber = tags.trackNumber
        trackTotal = tags.trackTotal
        discNumber = tags.discNumber
        discTotal = tags.discTotal
        year = tags.year
        date = tags.date
        originalYear = tags.originalYear
        genres = tags.genres
        composer = tags.composer
        composers = tags.composers
        compilation = tags.compilation
        comment = tags.comment
        label = tags.label
        bpm = tags.bpm
        key = tags.key
        durationMs = audio.durationMs
        codec = audio.codec
        container = audio.container
        sampleRate = audio.sampleRate
        channels = audio.channels
        bitsPerSample = audio.bitsPerSample
        bitrate = audio.bitrate
        self.hasArtwork = hasArtwork
        titleFromFileName = tags.titleFromFileName
        replayGain = tags.replayGain.flatMap { $0.isEmpty ? nil : $0 }
        musicBrainz = tags.musicBrainz.flatMap { $0.isEmpty ? nil : $0 }
    }
}
