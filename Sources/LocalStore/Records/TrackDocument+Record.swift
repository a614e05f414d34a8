import OmniModel

extension TrackDocument {
    /// The JSON document of a library track (search results, the API).
    public init(record: TrackRecord) {
        var tags = TrackTags(title: record.title)
        tags.titleFromFileName = record.titleFromFileName
        tags.artist = record.artist
        tags.artists = record.artists
        tags.album = record.album
        tags.albumArtist = record.albumArtist
        tags.albumArtists = record.albumArtists
        tags.trackNumber = record.trackNumber
        tags.trackTotal = record.trackTotal
        tags.discNumber = record.discNumber
        tags.discTotal = record.discTotal
        tags.year = record.year
        tags.date = record.date
        tags.originalYear = record.originalYear
        tags.genres = record.genres
        tags.composer = record.composer
        tags.composers = record.composers
        tags.compilation = record.compilation
        tags.comment = record.comment
        tags.label = record.label
        tags.bpm = record.bpm
        tags.key = record.musicalKey
        tags.replayGain = record.replayGain
        tags.musicBrainz = record.musicBrainz
        let audio = AudioProperties(codec: record.codec, container: record.container, durationMs: record.durationMs,
                                    sampleRate: record.sampleRate, channels: record.channels,
                                    bitsPerSample: record.bitsPerSample, bitrate: record.bitrate)
        self.init(uid: record.uid, path: record.path, tags: tags, audio: audio, hasArtwork: record.hasArtwork)
    }
}
