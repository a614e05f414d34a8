import Foundation
import MediaIO
import OmniModel
import Testing
import TestSupport

/// Lyrics from tags and `.lrc` files; artwork scaled with libavcodec and libswscale.
@Suite("Lyrics and artwork sizes on real files")
struct LyricsAndArtworkTests {
    init() { TestLog.install() }

    @Test("Given LRC text with several times per line, an offset, tags and word times, then the lines are sorted, shifted by the offset, and the tags read")
    func lrcParsing() {
        let text = "\u{FEFF}[ti:Song]\n[ar:Band]\n[offset:+500]\n[00:12.50]Second <00:13.00>line\n[00:02.00][01:02.345]First and again\nno time\n[00:01]Early"
        let lyrics = LyricsReader.parseLRC(text, source: "lrc")
        #expect(lyrics.synced)
        #expect(lyrics.offsetMs == 500)
        #expect(lyrics.title == "Song" && lyrics.artist == "Band")
        #expect(lyrics.lines == [
            LyricLine(startMs: 500, text: "Early"), LyricLine(startMs: 1500, text: "First and again"),
            LyricLine(startMs: 12_000, text: "Second line"), LyricLine(startMs: 61_845, text: "First and again"),
        ])
        let plain = LyricsReader.parseLRC("\n\nVerse one\n\nVerse two\n", source: "LYRICS")
        #expect(!plain.synced)
        #expect(plain.plainText == "Verse one\n\nVerse two")
        #expect(plain.lines.allSatisfy { $0.startMs == nil })
    }

    @Test("Given an MP3 with USLT and SYLT frames, a FLAC with an LRC-formatted LYRICS comment, an M4A with ©lyr and an Ogg with an .lrc beside it, then each one's lyrics are read")
    func lyricsFromFiles() throws {
        let dir = try TemporaryDirectory("lyrics")
        // MP3: USLT (UTF-8, eng, no description) and SYLT (UTF-8, eng, milliseconds, lyrics).
        let mp3 = dir.appending("song.mp3")
        try Fixtures.bareMP3(mp3)
        let uslt = Fixtures.frame("USLT", [3] + Array("eng".utf8) + [0] + Array("Hello\nWorld".utf8), version: 4)
        var syltBody: [UInt8] = [3] + Array("eng".utf8) + [2, 1, 0]
        for (text, ms) in [("Hello", 1000), ("World", 2500)] { syltBody += Array(text.utf8) + [0] + Fixtures.bigEndian32(ms) }
        let sylt = Fixtures.frame("SYLT", syltBody, version: 4)
        try Fixtures.write(Fixtures.id3v2(version: 4, frames: [Fixtures.textFrame("TIT2", ["Song"]), uslt, sylt]) + (try Fixtures.read(mp3)), to: mp3)
        let fromMP3 = LyricsReader.read(path: RawPath(mp3))
        #expect(fromMP3.count == 2)
        #expect(fromMP3.first { $0.source == "USLT" }?.plainText == "Hello\nWorld")
        #expect(fromMP3.first { $0.source == "USLT" }?.language == "eng")
        #expect(fromMP3.first { $0.source == "SYLT" }?.lines == [LyricLine(startMs: 1000, text: "Hello"), LyricLine(startMs: 2500, text: "World")])

        let flac = dir.appending("song.flac")
        try Fixtures.tone(flac)
        try Fixtures.setVorbisComments(flac: flac, [("TITLE", "Song"), ("LYRICS", "[00:01.00]One\n[00:02.00]Two")])
        let fromFLAC = LyricsReader.read(path: RawPath(flac))
        #expect(fromFLAC.count == 1)
        #expect(fromFLAC.first?.synced == true)
        #expect(fromFLAC.first?.lines.map(\.startMs) == [1000, 2000])

        let m4a = dir.appending("song.m4a")
        try Fixtures.tone(m4a, extra: ["-c:a", "aac", "-metadata", "lyrics=Line one\nLine two"])
        let fromM4A = LyricsReader.read(path: RawPath(m4a))
        #expect(fromM4A.first?.plainText == "Line one\nLine two")
        #expect(fromM4A.first?.synced == false)

        let ogg = dir.appending("other.ogg")
        try Fixtures.tone(ogg, extra: ["-c:a", "libvorbis"])
        try Fixtures.write(Array("[ar:Band]\n[00:00.50]Hi\n[00:03.25]There\n".utf8), to: dir.appending("other.lrc"))
        let fromLRC = LyricsReader.read(path: RawPath(ogg))
        #expect(fromLRC.count == 1)
        #expect(fromLRC.first?.source == "lrc")
        #expect(fromLRC.first?.lines == [LyricLine(startMs: 500, text: "Hi"), LyricLine(startMs: 3250, text: "There")])
        // Nothing found is an empty list, never an error.
        let bare = dir.appending("bare.mp3")
        try Fixtures.bareMP3(bare)
        #expect(LyricsReader.read(path: RawPath(bare)).isEmpty)
    }

    /// Width, height and pixel format of a picture (ffprobe).
    static func dimensions(_ bytes: [UInt8], in dir: TemporaryDirectory) throws -> (Int, Int, String) {
        let path = dir.appending("probe-\(UUID().uuidString.prefix(6))")
        try Fixtures.write(bytes, to: path)
        let out = try Shell.run(Shell.which("ffprobe") ?? "/usr/bin/ffprobe",
                                ["-v", "error", "-show_entries", "stream=width,height,pix_fmt", "-of", "csv=p=0", path])
        let fields = out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        return (Int(fields[0]) ?? 0, Int(fields[1]) ?? 0, String(fields[2]))
    }

    @Test("Given a 1200x800 JPEG and a 640x640 PNG with alpha, when scaled to 300 and 256, then a 300x200 JPEG and a 256x256 PNG with alpha; a smaller size request is nil; garbage throws")
    func artworkScaling() throws {
        let dir = try TemporaryDirectory("artwork-scale")
        let jpeg = dir.appending("cover.jpg")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=1200x800:d=1", "-frames:v", "1", jpeg])
        let scaled = try #require(try ArtworkScaler.scale(try Fixtures.read(jpeg), toFit: 300))
        #expect(scaled.mimeType == "image/jpeg")
        #expect(scaled.width == 300 && scaled.height == 200)
        let (w, h, _) = try Self.dimensions(scaled.data, in: dir)
        #expect(w == 300 && h == 200)
        #expect(ImageSniffer.mimeType(of: scaled.data) == "image/jpeg")

        let png = dir.appending("alpha.png")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "color=c=red@0.5:s=640x640:d=1,format=rgba", "-frames:v", "1", png])
        let alpha = try #require(try ArtworkScaler.scale(try Fixtures.read(png), toFit: 256))
        #expect(alpha.mimeType == "image/png")
        let (pw, ph, format) = try Self.dimensions(alpha.data, in: dir)
        #expect(pw == 256 && ph == 256)
        #expect(format == "rgba")

        #expect(try ArtworkScaler.scale(try Fixtures.read(png), toFit: 1000) == nil)
        #expect(throws: MediaError.self) { try ArtworkScaler.scale(Array(repeating: 0x41, count: 500), toFit: 100) }
    }
}
