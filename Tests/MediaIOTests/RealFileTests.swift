import Foundation
import MediaIO
import OmniModel
import Testing
import TestSupport

/// Files made with the ffmpeg CLI (and our byte builders), probed through the full reader.
@Suite("Probing real files made with ffmpeg")
struct RealFileTests {
    init() { TestLog.install() }

    @Test("Repeated Vorbis comment keys in FLAC become separate artists and genres")
    func repeatedVorbisKeys() throws {
        // Given a FLAC with ARTIST twice and GENRE twice (libavformat joins these with ";")
        let dir = try TemporaryDirectory("vorbis")
        let path = dir.appending("multi.flac")
        try Fixtures.tone(path)
        try Fixtures.setVorbisComments(flac: path, [
            ("TITLE", "Song"), ("ARTIST", "Alpha"), ("ARTIST", "Beta"), ("GENRE", "Rock"), ("genre", "Pop"),
            ("ALBUMARTIST", "AC/DC"), ("TRACKNUMBER", "3/12"), ("DATE", "2001-05-03T10:00:00"), ("R128_TRACK_GAIN", "-512"),
        ])
        // When probed
        let tags = try TagReader().probe(RawPath(path)).tags
        // Then the values are separate and the display joins them
        #expect(tags.artists == ["Alpha", "Beta"])
        #expect(tags.artist == "Alpha; Beta")
        #expect(tags.genres == ["Rock", "Pop"])
        #expect(tags.albumArtist == "AC/DC" && tags.albumArtists == ["AC/DC"])
        #expect(tags.trackNumber == 3 && tags.trackTotal == 12)
        #expect(tags.date == "2001-05-03" && tags.year == 2001)
        #expect(tags.replayGain?.trackGain == 3)
    }

    @Test("Opus reports 48 kHz, its pre-skip is not counted in the duration, and R128 gain is read")
    func opus() throws {
        // Given a 1.5 s Opus file with an R128 track gain
        let dir = try TemporaryDirectory("opus")
        let path = dir.appending("a.opus")
        try Fixtures.tone(path, seconds: 1.5, extra: ["-c:a", "libopus", "-b:a", "16k", "-metadata", "R128_TRACK_GAIN=-256",
                                                      "-metadata", "title=Opus", "-metadata", "track=3/12", "-metadata", "date=2003-04"])
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then
        #expect(result.audio.codec == "opus" && result.audio.sampleRate == 48000 && result.audio.container == "ogg")
        let ms = try #require(result.audio.durationMs)
        #expect(abs(ms - 1500) <= 25, "duration \(ms) ms")
        #expect(result.tags.replayGain?.trackGain == 4)
        #expect(result.tags.trackNumber == 3 && result.tags.trackTotal == 12)
        #expect(result.tags.date == "2003-04" && result.tags.year == 2003)
    }

    @Test("An MP3 with our ID3v2.4 multi-value tag, an APEv2 tag and ID3v1 merges them in priority order")
    func mp3TagMerge() throws {
        // Given a bare MP3 with an ID3v2.4 tag in front and APEv2 + ID3v1 at the end
        let dir = try TemporaryDirectory("mp3")
        let bare = dir.appending("bare.mp3")
        try Fixtures.bareMP3(bare, seconds: 2)
        let id3 = Fixtures.id3v2(version: 4, frames: [
            Fixtures.textFrame("TIT2", ["From ID3v2"]),
            Fixtures.textFrame("TPE1", ["Alpha", "Beta"]),
            Fixtures.textFrame("TCON", ["Rock", "Pop"]),
            Fixtures.textFrame("TRCK", ["3/12"]),
        ], padding: 512)
        let ape = Fixtures.apev2([("Title", ["From APE"]), ("Album", ["APE Album"]), ("Composer", ["Bach", "Handel"])])
        let v1 = Fixtures.id3v1(title: "From v1", artist: "v1", album: "v1 album", year: "1999", comment: "", track: 4, genre: 8)
        let path = dir.appending("tagged.mp3")
        try Fixtures.write(id3 + (try Fixtures.read(bare)) + ape + v1, to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        let tags = result.tags
        // Then ID3v2 wins, APE fills album and composers, ID3v1 fills the year
        #expect(tags.title == "From ID3v2")
        #expect(tags.artists == ["Alpha", "Beta"] && tags.artist == "Alpha; Beta")
        #expect(tags.genres == ["Rock", "Pop"])
        #expect(tags.trackNumber == 3 && tags.trackTotal == 12)
        #expect(tags.album == "APE Album")
        #expect(tags.composers == ["Bach", "Handel"])
        #expect(tags.year == 1999)
        // And the duration ignores the tags (Xing header)
        let plain = try TagReader().probe(RawPath(bare))
        #expect(result.audio.durationMs == plain.audio.durationMs)
        // Xing frame count × 576 − LAME delay − padding is exact
        #expect(abs((plain.audio.durationMs ?? 0) - 2000) <= 2, "\(plain.audio.durationMs ?? -1)")
        #expect(result.uid == plain.uid)
    }

    @Test("An RF64 WAV whose ds64 declares 2^62 samples is refused as media.out_of_range, not a trap; the same file declaring its true count is read")
    func rf64WithAnImpossibleSampleCount() throws {
        let dir = try TemporaryDirectory("rf64")
        let lying = dir.appending("lying.wav"), honest = dir.appending("honest.wav")
        try HostileFiles.rf64().write(to: URL(fileURLWithPath: lying))
        try HostileFiles.rf64(samples: 4410, dataBytes: 4410 * 4).write(to: URL(fileURLWithPath: honest))
        let error = #expect(throws: MediaError.self) { try TagReader().probe(RawPath(lying)) }
        #expect(error?.reason == .outOfRange)
        #expect(error?.description.contains("lying.wav") == true)
        #expect(error?.expandedDescription.contains("4611686018427387904") == true, "\(error?.expandedDescription ?? "")")
        let result = try TagReader().probe(RawPath(honest))
        #expect(result.audio.durationMs == 100)
        #expect(result.audio.channels == 2)
    }

    @Test("A CBR MP3 without a Xing header gets its duration from audio bytes and bitrate")
    func mp3WithoutXing() throws {
        let dir = try TemporaryDirectory("cbr")
        let path = dir.appending("cbr.mp3")
        try Fixtures.tone(path, seconds: 3, extra: ["-c:a", "libmp3lame", "-b:a", "64k", "-write_xing", "0", "-metadata", "title=x"])
        let result = try TagReader().probe(RawPath(path))
        let ms = try #require(result.audio.durationMs)
        #expect(abs(ms - 3000) <= 100, "\(ms)")
        #expect(result.audio.bitrate == 64000)
    }

    @Test("A file whose name is not UTF-8 is opened by its raw bytes")
    func nonUTF8Path() throws {
        let dir = try TemporaryDirectory("raw")
        let good = dir.appending("x.flac")
        try Fixtures.tone(good, extra: ["-metadata", "title=Raw"])
        var bytes = Array(dir.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".flac".utf8)
        let target = RawPath(bytes: bytes)
        bytes.append(0)
        let renamed = good.withCString { from in bytes.withUnsafeBufferPointer { rename(from, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) } }
        #expect(renamed == 0)
        #expect(try TagReader().probe(target).tags.title == "Raw")
    }

    @Test("Missing files, directories and files without audio throw the matching MediaError")
    func errors() throws {
        let dir = try TemporaryDirectory("errors")
        #expect(throws: MediaError.self) { try TagReader().probe(RawPath(dir.appending("missing.mp3"))) }
        do {
            _ = try TagReader().probe(RawPath(dir.appending("missing.mp3")))
        } catch {
            #expect(error.reason == .unreadable)
            // The probe's one open(2) (decision 0029) names the failing call
            #expect(error.detail.hasPrefix("open: No such file"))
        }
        #expect(throws: MediaError.self) { try TagReader().probe(RawPath(dir.path)) }
        // A FIFO would block open(2) forever; it is refused before opening
        let fifo = dir.appending("pipe.mp3")
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(throws: MediaError.self) { try TagReader().probe(RawPath(fifo)) }
        let png = dir.appending("image.mp3")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=8x8:d=0.1", "-frames:v", "1", "-f", "image2", "-c:v", "png", png])
        #expect(throws: MediaError.self) { try TagReader().probe(RawPath(png)) }
        // Truncations of a real file at many lengths never crash
        let real = dir.appending("real.ogg")
        try Fixtures.tone(real, extra: ["-c:a", "libvorbis"])
        let bytes = try Fixtures.read(real)
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            let cut = dir.appending("cut-\(length).ogg")
            try Fixtures.write(Array(bytes.prefix(length)), to: cut)
            _ = try? TagReader().probe(RawPath(cut))
        }
    }
}

extension RealFileTests {
    @Test("A file whose extension lies is still read, by content probing", arguments: [("m4a", "flac"), ("m4a", "mp3"), ("flac", "ogg"), ("mp3", "m4a")])
    func lyingExtension(real: String, named: String) throws {
        // Given a real file renamed to another format's extension
        let dir = try TemporaryDirectory("lie")
        let source = dir.appending("x.\(real)")
        let codec: [String] = switch real {
        case "m4a": ["-c:a", "aac", "-b:a", "32k"]
        case "mp3": ["-c:a", "libmp3lame", "-b:a", "32k"]
        default: []
        }
        try Fixtures.tone(source, seconds: 1, extra: codec + ["-metadata", "title=Liar"])
        let renamed = dir.appending("y.\(named)")
        try FileManager.default.moveItem(atPath: source, toPath: renamed)
        // When probed, then the real container is found
        let result = try TagReader().probe(RawPath(renamed))
        #expect(result.tags.title == "Liar")
        #expect(abs((result.audio.durationMs ?? 0) - 1000) <= 80, "\(result.audio.durationMs ?? -1)")
    }
}

extension RealFileTests {
    @Test("FFmpeg's own messages about a damaged file reach the routed logger")
    func ffmpegMessagesAreRouted() throws {
        // Given FFmpeg routed to a capturing logger and a file of random bytes named .mp3
        TestLog.install()
        let dir = try TemporaryDirectory("log")
        let path = dir.appending("garbage.mp3")
        var random = SystemRandomNumberGenerator()
        try Fixtures.write((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }, to: path)
        // When it is probed
        _ = try? TagReader().probe(RawPath(path))
        // Then FFmpeg's complaint arrived as a log line (errors are mapped to .notice)
        #expect(TestLog.store.all.contains { $0.0 == .notice || $0.0 == .debug })
    }
}
