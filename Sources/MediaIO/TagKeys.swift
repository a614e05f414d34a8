/// Which container keys feed which `TrackTags` field.
///
/// Keys are matched lowercased. The table lists what libavformat 5.1 produces (it already maps
/// ID3 frames, MP4 atoms, RIFF INFO and Vorbis names to its generic names such as `album_artist`,
/// `track`, `disc`, `date`), the raw names it leaves alone (TXXX descriptions, Vorbis keys it does
/// not know), and the frame ids our own ID3v2 parser reports (`TPE1`, `TXXX` descriptions, ...).
/// Within a field, earlier keys win.
enum TagField: CaseIterable, Sendable {
    case title, artist, artists, album, albumArtist, albumArtists
    case track, trackTotal, disc, discTotal
    case date, originalDate, genre, composer, compilation, comment, label, bpm, key
    case replayGainTrackGain, replayGainTrackPeak, replayGainAlbumGain, replayGainAlbumPeak
    case r128TrackGain, r128AlbumGain
    case mbRecordingId, mbReleaseTrackId, mbAlbumId, mbReleaseGroupId, mbArtistId, mbAlbumArtistId

    /// The keys for this field, most specific first.
    var keys: [String] {
        switch self {
        case .title: ["title", "tit2", "tt2", "©nam", "inam"]
        case .artist: ["artist", "tpe1", "tp1", "©art", "iart", "author"]
        // Picard's multi-valued artist list, kept apart from the display string.
        case .artists: ["artists"]
        case .album: ["album", "talb", "tal", "©alb", "iprd"]
        case .albumArtist: ["album_artist", "albumartist", "album artist", "tpe2", "tp2", "aart", "wm/albumartist"]
        case .albumArtists: ["albumartists", "album_artists"]
        case .track: ["track", "tracknumber", "trck", "trk", "itrk", "iprt", "trkn", "wm/tracknumber"]
        case .trackTotal: ["tracktotal", "totaltracks", "track total", "total tracks"]
        case .disc: ["disc", "discnumber", "tpos", "tpa", "disk", "wm/partofset"]
        case .discTotal: ["disctotal", "totaldiscs", "disc total", "total discs"]
        case .date: ["date", "tdrc", "©day", "icrd", "wm/year", "year", "tyer", "tye", "tdrl", "release date"]
        case .originalDate: ["originaldate", "original_date", "tdor", "tory", "originalyear", "original year", "origyear"]
        case .genre: ["genre", "tcon", "tco", "©gen", "ignr", "wm/genre"]
        case .composer: ["composer", "tcom", "tcm", "©wrt", "wm/composer"]
        case .compilation: ["compilation", "tcmp", "tcp", "cpil", "itunescompilation"]
        case .comment: ["comment", "comm", "description", "©cmt", "icmt"]
        case .label: ["label", "publisher", "organization", "tpub", "record label", "wm/publisher"]
        case .bpm: ["bpm", "tbpm", "tbp", "tmpo", "wm/beatsperminute"]
        case .key: ["initialkey", "tkey", "tke", "key", "wm/initialkey"]
        case .replayGainTrackGain: ["replaygain_track_gain"]
        case .replayGainTrackPeak: ["replaygain_track_peak"]
        case .replayGainAlbumGain: ["replaygain_album_gain"]
        case .replayGainAlbumPeak: ["replaygain_album_peak"]
        case .r128TrackGain: ["r128_track_gain"]
        case .r128AlbumGain: ["r128_album_gain"]
        case .mbRecordingId: ["musicbrainz_trackid", "musicbrainz track id", "ufid:http://musicbrainz.org", "musicbrainz_recordingid"]
        case .mbReleaseTrackId: ["musicbrainz_releasetrackid", "musicbrainz release track id"]
        case .mbAlbumId: ["musicbrainz_albumid", "musicbrainz album id"]
        case .mbReleaseGroupId: ["musicbrainz_releasegroupid", "musicbrainz release group id"]
        case .mbArtistId: ["musicbrainz_artistid", "musicbrainz artist id"]
        case .mbAlbumArtistId: ["musicbrainz_albumartistid", "musicbrainz album artist id"]
        }
    }
}

/// Prefixes some writers put before a key's real name (`TXXX:REPLAYGAIN_TRACK_GAIN` from
/// mutagen-style dumps, MP4 freeform `----:com.apple.iTunes:MusicBrainz Track Id`).
enum TagKeyPrefixes {
    static let all = ["txxx:", "----:com.apple.itunes:", "com.apple.itunes:"]

    /// `key` lowercased without a known prefix.
    static func strip(_ key: String) -> String {
        let lower = key.lowercased()
        for prefix in all where lower.hasPrefix(prefix) { return String(lower.dropFirst(prefix.count)) }
        return lower
    }
}
