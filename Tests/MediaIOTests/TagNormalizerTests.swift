@testable import MediaIO
import OmniModel
import Testing

@Suite("Normalizing raw tags")
struct TagNormalizerTests {
    @Test("Names with a bare slash or commas stay whole; semicolons and spaced slashes split")
    func separatorsForNames() {
        #expect(Separators.split("AC/DC", field: .names) == ["AC/DC"])
        #expect(Separators.split("Earth, Wind & Fire", field: .names) == ["Earth, Wind & Fire"])
        #expect(Separators.split("Alpha; Beta;Gamma", field: .names) == ["Alpha", "Beta", "Gamma"])
        #expect(Separators.split("Alpha / Beta", field: .names) == ["Alpha", "Beta"])
        #expect(Separators.split("Alpha\u{0}Beta\u{0}Alpha", field: .names) == ["Alpha", "Beta"])
        #expect(Separators.split(" ; ", field: .names) == [])
    }

    @Test("Genres also split on a bare slash")
    func separatorsForGenres() {
        #expect(Separators.split("Rock/Pop", field: .genres) == ["Rock", "Pop"])
        #expect(Separators.split("Rock; Pop", field: .genres) == ["Rock", "Pop"])
        #expect(TagValues.genres(["(17)(18)", "(62)"]) == ["Rock", "Techno", "Pop/Funk"])
        #expect(TagValues.genres(["(17)Rock", "17", "Hard Rock"]) == ["Rock", "Hard Rock"])
        #expect(TagValues.genres(["((Weird)) Genre"]) == ["(Weird)) Genre"])
    }

    @Test("One artist value is shown as written; several values are joined with a semicolon")
    func artistDisplay() {
        // Given a single value with a separator in it
        let one = TagNormalizer.normalize(RawTags([("ARTIST", "Alpha; Beta")]))
        // Then the display keeps the text and the list is split
        #expect(one.artist == "Alpha; Beta")
        #expect(one.artists == ["Alpha", "Beta"])
        // Given two container values
        let two = TagNormalizer.normalize(RawTags([("artist", "Alpha"), ("ARTIST", "Beta")]))
        #expect(two.artist == "Alpha; Beta")
        #expect(two.artists == ["Alpha", "Beta"])
        // Given libavformat's ";"-joined Vorbis values
        let joined = TagNormalizer.normalize(RawTags([("ARTIST", "Alpha;Beta")], semicolonJoinsValues: true))
        #expect(joined.artist == "Alpha; Beta")
        // Given Picard's ARTISTS list next to a display string
        let picard = TagNormalizer.normalize(RawTags([("ARTIST", "Alpha feat. Beta"), ("ARTISTS", "Alpha"), ("ARTISTS", "Beta")]))
        #expect(picard.artist == "Alpha feat. Beta")
        #expect(picard.artists == ["Alpha", "Beta"])
    }

    @Test("Track and disc numbers read 3/12 forms and separate totals")
    func numbers() {
        let tags = TagNormalizer.normalize(RawTags([("track", "3/12"), ("TPOS", "1/2")]))
        #expect(tags.trackNumber == 3 && tags.trackTotal == 12 && tags.discNumber == 1 && tags.discTotal == 2)
        let vorbis = TagNormalizer.normalize(RawTags([("TRACKNUMBER", "03"), ("TOTALTRACKS", "9"), ("DISCNUMBER", "2"), ("DISCTOTAL", "3")]))
        #expect(vorbis.trackNumber == 3 && vorbis.trackTotal == 9 && vorbis.discNumber == 2 && vorbis.discTotal == 3)
        #expect(TagNormalizer.normalize(RawTags([("track", "0"), ("disc", "x")])).trackNumber == nil)
    }

    @Test("Dates are normalized and their year extracted, junk included")
    func dates() {
        #expect(TagValues.date("2001") == ("2001", 2001))
        #expect(TagValues.date("2001-05") == ("2001-05", 2001))
        #expect(TagValues.date("2001-05-03") == ("2001-05-03", 2001))
        #expect(TagValues.date("2001-05-03T10:20:00Z") == ("2001-05-03", 2001))
        #expect(TagValues.date("20010503") == ("2001-05-03", 2001))
        #expect(TagValues.date("03/05/2001") == ("2001", 2001))
        #expect(TagValues.date("(p) 1999 Some Label") == ("1999", 1999))
        #expect(TagValues.date("unknown") == (nil, nil))
        let v23 = TagNormalizer.normalize(RawTags([("TYER", "2001"), ("TDAT", "0305")]))
        #expect(v23.date == "2001-05-03" && v23.year == 2001)
        let original = TagNormalizer.normalize(RawTags([("TDOR", "1977-01-01"), ("date", "2010")]))
        #expect(original.originalYear == 1977 && original.year == 2010)
    }

    @Test("ReplayGain, R128, compilation, bpm, key and MusicBrainz ids are read")
    func otherFields() {
        let tags = TagNormalizer.normalize(RawTags([
            ("REPLAYGAIN_TRACK_GAIN", "-6.50 dB"), ("replaygain_track_peak", "0.988"),
            ("TXXX:REPLAYGAIN_ALBUM_GAIN", "-7.1 dB"), ("R128_TRACK_GAIN", "-1000"),
            ("cpil", "1"), ("TBPM", "128"), ("INITIALKEY", "Am"), ("publisher", "Label"),
            ("MusicBrainz Track Id", "rec-1"), ("MUSICBRAINZ_ALBUMID", "alb-1"),
            ("MUSICBRAINZ_ARTISTID", "a-1"), ("MUSICBRAINZ_ARTISTID", "a-2"),
            ("musicbrainz_releasegroupid", "rg-1"), ("MUSICBRAINZ_RELEASETRACKID", "rt-1"),
            ("MUSICBRAINZ_ALBUMARTISTID", "aa-1"),
        ]))
        #expect(tags.replayGain == ReplayGain(trackGain: -6.5, trackPeak: 0.988, albumGain: -7.1))
        #expect(tags.compilation && tags.bpm == 128 && tags.key == "Am" && tags.label == "Label")
        #expect(tags.musicBrainz?.recordingId == "rec-1" && tags.musicBrainz?.albumId == "alb-1")
        #expect(tags.musicBrainz?.artistIds == ["a-1", "a-2"] && tags.musicBrainz?.albumArtistIds == ["aa-1"])
        #expect(tags.musicBrainz?.releaseGroupId == "rg-1" && tags.musicBrainz?.releaseTrackId == "rt-1")
        // Opus R128 in Q7.8 relative to -23 LUFS becomes ReplayGain relative to -18 LUFS
        let opus = TagNormalizer.normalize(RawTags([("R128_TRACK_GAIN", "-1000"), ("R128_ALBUM_GAIN", "256")]))
        #expect(opus.replayGain?.trackGain == -1000.0 / 256 + 5)
        #expect(opus.replayGain?.albumGain == 6)
        #expect(TagNormalizer.normalize(RawTags([("compilation", "0")])).compilation == false)
    }

    @Test("Strings are trimmed and NFC-normalized, and empty ones are absent")
    func cleaning() {
        let nfd = "Bjo\u{308}rk"
        let tags = TagNormalizer.normalize(RawTags([("title", "  Jóga \u{0}"), ("artist", nfd), ("album", "   ")]))
        #expect(tags.title == "Jóga")
        #expect(tags.artist == "Björk" && tags.artist?.unicodeScalars.count == 5)
        #expect(tags.album == nil)
    }

    @Test("Without a title tag the title comes from the file name by the corpus rule")
    func titleFromFileName() {
        func title(_ name: String) -> String { TagNormalizer.finish(TrackTags(title: ""), fileName: RawPath("/m/" + name)).title }
        #expect(title("03 - Song.mp3") == "Song")
        #expect(title("1-03 - Song.flac") == "Song")
        #expect(title("04. Song.ogg") == "Song")
        #expect(title("7 Song.opus") == "Song")
        #expect(title("03.Song.mp3") == "Song")
        #expect(title("Song.mp3") == "Song")
        #expect(title("2001 - A Space Odyssey.mp3") == "A Space Odyssey")
        #expect(title("01 -Dash.mp3") == "-Dash")
        #expect(title("10.mp3") == "10")
        #expect(title(".hidden.mp3") == ".hidden")
        #expect(TagNormalizer.finish(TrackTags(title: ""), fileName: RawPath("a/01 - x.mp3")).titleFromFileName)
    }

    @Test("Merging takes each field from the first source that has it")
    func merging() {
        let id3v2 = TagNormalizer.normalize(RawTags([("TIT2", "From ID3v2"), ("TPE1", "A"), ("TPE1", "B")]))
        let libav = TagNormalizer.normalize(RawTags([("title", "From libav"), ("artist", "A;B"), ("album", "Album")]))
        let id3v1 = TagNormalizer.normalize(RawTags([("title", "v1"), ("date", "1999"), ("genre", "Rock")]))
        let merged = TagNormalizer.merge([id3v2, libav, id3v1])
        #expect(merged.title == "From ID3v2" && merged.artists == ["A", "B"] && merged.artist == "A; B")
        #expect(merged.album == "Album" && merged.year == 1999 && merged.genres == ["Rock"])
    }
}
