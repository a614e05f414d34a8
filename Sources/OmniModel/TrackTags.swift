/// The normalized tags of one audio file, as the tag reader understood them.
///
/// Every field is optional because real files lack any of them. Lists (`artists`, `genres`, ...)
/// are already split on the container's multi-value mechanism and the common separators
/// (see `docs/decisions/0003-multi-value-tags.md`); the display strings (`artist`, `albumArtist`)
/// are what the file said, or the list joined when the file only had a list.
///
/// This is a plain value: it crosses threads and actors freely.
public struct TrackTags: Sendable, Equatable, Codable {
    /// The title; when the file has no title tag this is derived from the file name
    /// (leading track number removed) and `titleFromFileName` is true.
    public var title: String
    public var titleFromFileName: Bool = false
    /// The artist as one display string ("Artist A feat. Artist B", "A; B").
    public var artist: String?
    /// The individual artists, in file order, without duplicates.
    public var artists: [String] = []
    public var album: String?
    public var albumArtist: String?
    public var albumArtists: [String] = []
    public var trackNumber: Int?
    public var trackTotal: Int?
    public var discNumber: Int?
    public var discTotal: Int?
    /// The release year (from `date`, `year`, `TDRC`, `WM/Year`, ...).
    public var year: Int?
    /// The release date as found, normalized to `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    public var date: String?
    /// The original release year, when tagged (`originaldate`, `TDOR`).
    public var originalYear: Int?
    public var genres: [String] = []
    /// The composers joined for display.
    public var composer: String?
    public var composers: [String] = []
    public var compilation: Bool = false
    public var comment: String?
    public var label: String?
    /// Beats per minute (`TBPM`, `BPM`, `tmpo`).
    public var bpm: Double?
    /// Musical key (`TKEY`, `INITIALKEY`, `KEY`).
    public var key: String?
    public var replayGain: ReplayGain?
    public var musicBrainz: MusicBrainzIDs?

    public init(title: String) { self.title = title }
}

/// ReplayGain values in dB (gain) and linear full scale (peak), as tagged.
public struct ReplayGain: Sendable, Equatable, Codable {
    public var trackGain: Double?
    public var trackPeak: Double?
    public var albumGain: Double?
    public var albumPeak: Double?
    public init(trackGain: Double? = nil, trackPeak: Double? = nil, albumGain: Double? = nil, albumPeak: Double? = nil) {
        self.trackGain = trackGain
        self.trackPeak = trackPeak
        self.albumGain = albumGain
        self.albumPeak = albumPeak
    }
    /// True when no value is present.
    public var isEmpty: Bool { trackGain == nil && trackPeak == nil && albumGain == nil && albumPeak == nil }
}

/// MusicBrainz identifiers, when the file was tagged by Picard or a similar tagger.
public struct MusicBrainzIDs: Sendable, Equatable, Codable {
    /// Recording id (`MUSICBRAINZ_TRACKID`, ID3 `UFID:http://musicbrainz.org`).
    public var recordingId: String?
    /// Release track id (`MUSICBRAINZ_RELEASETRACKID`).
    public var releaseTrackId: String?
    /// Release (album) id.
    public var albumId: String?
    public var releaseGroupId: String?
    public var artistIds: [String] = []
    public var albumArtistIds: [String] = []
    public init() {}
    /// True when no id is present.
    public var isEmpty: Bool {
        recordingId == nil && releaseTrackId == nil && albumId == nil && releaseGroupId == nil
            && artistIds.isEmpty && albumArtistIds.isEmpty
    }
}
