import OmniModel

/// Turns one source's raw multi-map of tags into `TrackTags`, and merges several sources.
///
/// Pure Swift, no I/O: everything here is unit-testable with literal dictionaries. The key table
/// is `TagField`; value parsing (numbers, dates, genres, gains) is in `TagValues`; splitting lists
/// is `Separators`.
public enum TagNormalizer {
    /// Normalizes the tags of one source.
    ///
    /// The returned title is empty when the source has no title; `finish(_:fileName:)` fills it
    /// from the file name. All strings are trimmed and NFC-normalized; empty strings are absent.
    public static func normalize(_ raw: RawTags) -> TrackTags {
        let lookup = Lookup(raw)
        var tags = TrackTags(title: lookup.first(.title).flatMap(TextCleaning.clean) ?? "")

        (tags.artist, tags.artists) = people(lookup, display: .artist, list: .artists)
        (tags.albumArtist, tags.albumArtists) = people(lookup, display: .albumArtist, list: .albumArtists)
        tags.album = lookup.first(.album).flatMap(TextCleaning.clean)

        let track = lookup.first(.track).map(TagValues.numberPair) ?? (nil, nil)
        tags.trackNumber = track.0
        tags.trackTotal = lookup.first(.trackTotal).flatMap(TagValues.positiveInteger) ?? track.1
        let disc = lookup.first(.disc).map(TagValues.numberPair) ?? (nil, nil)
        tags.discNumber = disc.0
        tags.discTotal = lookup.first(.discTotal).flatMap(TagValues.positiveInteger) ?? disc.1

        for key in TagField.date.keys {
            guard let value = lookup.raw.values(key).first else { continue }
            var text = value
            // ID3v2.3 splits the date: TYER "2001" + TDAT "0305" (DDMM).
            if key == "tyer" || key == "tye", let ddmm = lookup.raw.values(key == "tyer" ? "tdat" : "tda").first {
                text = TagValues.mergeID3v23Date(year: value, ddmm: ddmm)
            }
            let parsed = TagValues.date(text)
            if parsed.year != nil {
                tags.date = parsed.date
                tags.year = parsed.year
                break
            }
        }
        tags.originalYear = lookup.first(.originalDate).flatMap { TagValues.date($0).year }

        tags.genres = TagValues.genres(lookup.all(.genre))
        (tags.composer, tags.composers) = people(lookup, display: .composer, list: nil)
        tags.compilation = lookup.first(.compilation).map(TagValues.bool) ?? false
        tags.comment = lookup.first(.comment).flatMap(TextCleaning.clean)
        tags.label = lookup.first(.label).flatMap(TextCleaning.clean)
        tags.bpm = lookup.first(.bpm).flatMap(TagValues.decimal).flatMap { $0 > 0 ? $0 : nil }
        tags.key = lookup.first(.key).flatMap(TextCleaning.clean)

        var gain = ReplayGain(
            trackGain: lookup.first(.replayGainTrackGain).flatMap(TagValues.decimal),
            trackPeak: lookup.first(.replayGainTrackPeak).flatMap(TagValues.decimal),
            albumGain: lookup.first(.replayGainAlbumGain).flatMap(TagValues.decimal),
            albumPeak: lookup.first(.replayGainAlbumPeak).flatMap(TagValues.decimal))
        // Opus (RFC 7845) stores R128 gains in Q7.8 relative to -23 LUFS; ReplayGain's reference
        // is 5 dB louder (-18 LUFS), hence +5.
        if gain.trackGain == nil { gain.trackGain = lookup.first(.r128TrackGain).flatMap(TagValues.r128ToReplayGain) }
        if gain.albumGain == nil { gain.albumGain = lookup.first(.r128AlbumGain).flatMap(TagValues.r128ToReplayGain) }
        tags.replayGain = gain.isEmpty ? nil : gain

        var ids = MusicBrainzIDs()
        ids.recordingId = lookup.first(.mbRecordingId).flatMap(TextCleaning.clean)
        ids.releaseTrackId = lookup.first(.mbReleaseTrackId).flatMap(TextCleaning.clean)
        ids.albumId = lookup.first(.mbAlbumId).flatMap(TextCleaning.clean)
        ids.releaseGroupId = lookup.first(.mbReleaseGroupId).flatMap(TextCleaning.clean)
        ids.artistIds = Separators.split(values: lookup.all(.mbArtistId), field: .genres)
        ids.albumArtistIds = Separators.split(values: lookup.all(.mbAlbumArtistId), field: .genres)
        tags.musicBrainz = ids.isEmpty ? nil : ids
        return tags
    }

    /// Completes merged tags: when there is no title, derives it from the file name (extension
    /// and a leading track number removed) and sets `titleFromFileName`.
    public static func finish(_ tags: TrackTags, fileName: RawPath) -> TrackTags {
        var tags = tags
        if tags.title.isEmpty {
            tags.title = TitleFromFileName.title(fileName)
            tags.titleFromFileName = true
        }
        return tags
    }

    /// Merges sources in priority order: each field comes from the first source that has it
    /// (lists as a whole, never mixed across sources).
    public static func merge(_ sources: [TrackTags]) -> TrackTags {
        guard var out = sources.first else { return TrackTags(title: "") }
        for other in sources.dropFirst() { out.fill(from: other) }
        return out
    }

    /// The display string and list of a people field (artist, album artist, composer).
    ///
    /// The display string is the file's own text when the container had one value, and the list
    /// joined with "; " when it had several.
    private static func people(_ lookup: Lookup, display: TagField, list: TagField?) -> (String?, [String]) {
        var values = lookup.all(display)
        if lookup.raw.semicolonJoinsValues {
            // Only values that hold a ";" are split (splitting Characters was a measurable part
            // of the normaliser; decision 0039, "Probe threads, fourth round").
            values = values.flatMap { value in
                value.utf8.contains(UInt8(ascii: ";")) ? value.split(separator: ";", omittingEmptySubsequences: false).map(String.init) : [value]
            }
        }
        values = values.compactMap(TextCleaning.clean)
        let explicitList = list.map { lookup.all($0) } ?? []
        let names = Separators.split(values: explicitList.isEmpty ? values : explicitList, field: .names)
        let shown: String?
        switch values.count {
        case 0: shown = names.isEmpty ? nil : names.joined(separator: "; ")
        case 1: shown = values[0]
        default: shown = Separators.unique(values).joined(separator: "; ")
        }
        return (shown, names)
    }

    /// Key lookup over one source with the field table.
    private struct Lookup {
        let raw: RawTags
        private var prefixed: RawTags
        /// The keys of this source that feed a field, with their rank among the field's keys.
        /// Built once per source from its few keys, so a field looks only at the keys that are
        /// there instead of hashing every alias in `TagField.keys` (about 150 lookups and as
        /// many array allocations per source before; decision 0037).
        private var present: [(field: TagField, rank: Int, key: String)] = []

        /// Every key of the table, with the fields it feeds and its rank among their keys.
        private static let table: [String: [(field: TagField, rank: Int)]] = {
            var table: [String: [(field: TagField, rank: Int)]] = [:]
            for field in TagField.allCases {
                for (rank, key) in field.keys.enumerated() { table[key, default: []].append((field, rank)) }
            }
            return table
        }()

        init(_ raw: RawTags) {
            self.raw = raw
            // Also index keys without writer prefixes ("TXXX:REPLAYGAIN_TRACK_GAIN"); most
            // sources have none, so skip the work when no key has a colon.
            var stripped = RawTags()
            for key in raw.keys where key.utf8.contains(UInt8(ascii: ":")) {
                let bare = TagKeyPrefixes.strip(key)
                if bare != key { for value in raw.values(folded: key) { stripped.add(bare, value) } }
            }
            prefixed = stripped
            for key in raw.keys {
                for entry in Self.table[key] ?? [] { present.append((entry.field, entry.rank, key)) }
            }
            for key in stripped.keys where raw.values(folded: key).isEmpty {
                for entry in Self.table[key] ?? [] { present.append((entry.field, entry.rank, key)) }
            }
        }

        /// The values of the first key of `field` that has any (keys in the table's order).
        func all(_ field: TagField) -> [String] {
            var lastRank = -1
            while true {
                // The next key by rank; a source rarely has more than one key for a field.
                var next: (rank: Int, key: String)?
                for entry in present where entry.field == field && entry.rank > lastRank {
                    if next.map({ entry.rank < $0.rank }) ?? true { next = (entry.rank, entry.key) }
                }
                guard let next else { return [] }
                var values = raw.values(folded: next.key)
                if !prefixed.isEmpty { values += prefixed.values(folded: next.key) }
                if values.contains(where: TextCleaning.hasContent) { return values }
                lastRank = next.rank
            }
        }

        /// The first non-empty value of `field`.
        func first(_ field: TagField) -> String? {
            all(field).first(where: TextCleaning.hasContent)
        }
    }
}

extension TrackTags {
    /// Fills every absent field from `other` (lower priority).
    mutating func fill(from other: TrackTags) {
        if title.isEmpty, !other.title.isEmpty {
            title = other.title
            titleFromFileName = other.titleFromFileName
        }
        if artist == nil { artist = other.artist; artists = other.artists }
        if album == nil { album = other.album }
        if albumArtist == nil { albumArtist = other.albumArtist; albumArtists = other.albumArtists }
        if trackNumber == nil { trackNumber = other.trackNumber }
        if trackTotal == nil { trackTotal = other.trackTotal }
        if discNumber == nil { discNumber = other.discNumber }
        if discTotal == nil { discTotal = other.discTotal }
        if year == nil { year = other.year; date = other.date }
        if originalYear == nil { originalYear = other.originalYear }
        if genres.isEmpty { genres = other.genres }
        if composer == nil { composer = other.composer; composers = other.composers }
        if !compilation { compilation = other.compilation }
        if comment == nil { comment = other.comment }
        if label == nil { label = other.label }
        if bpm == nil { bpm = other.bpm }
        if key == nil { key = other.key }
        if replayGain == nil { replayGain = other.replayGain }
        if musicBrainz == nil { musicBrainz = other.musicBrainz }
    }
}
