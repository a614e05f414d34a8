import Foundation
import MediaIO
import OmniModel
import Testing
import TestSupport

/// Real corpus files damaged by byte surgery, and tags built to be hostile: the reader keeps
/// every field it can read, says what it skipped (`ProbeResult.warnings`), and stays within
/// `TagLimits` (issues 15 and 18).
@Suite("Damaged and hostile files")
struct DamagedFileTests {
    init() { TestLog.install() }

    /// A tagged corpus track of `format` with title, artist and album (and a cover when asked).
    static func track(_ format: String, cover: Bool = false) throws -> (path: String, track: Corpus.Track) {
        let corpus = try Corpus.shared(tracks: 300)
        let track = try #require(corpus.visibleTracks.first { track in
            track.format == format && track.tags.title != nil && track.tags.artist != nil && track.tags.album != nil
                && (track.tags.track ?? 0) > 0 && (!cover || track.cover != nil)
        })
        return ("\(corpus.root)/\(track.path)", track)
    }

    /// The MP3's audio without its leading ID3v2 tag.
    static func audioWithoutID3v2(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.starts(with: Array("ID3".utf8)) else { return bytes }
        let size = Int(bytes[6]) << 21 | Int(bytes[7]) << 14 | Int(bytes[8]) << 7 | Int(bytes[9])
        return Array(bytes[(10 + size + (bytes[5] & 0x10 != 0 ? 10 : 0))...])
    }

    /// The FLAC's metadata blocks (type, body) and its audio frames.
    static func flacBlocks(_ bytes: [UInt8]) -> (blocks: [(UInt8, [UInt8])], audio: [UInt8]) {
        var blocks: [(UInt8, [UInt8])] = []
        var position = 4
        while true {
            let header = bytes[position]
            let length = Int(bytes[position + 1]) << 16 | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            blocks.append((header & 0x7F, Array(bytes[(position + 4)..<(position + 4 + length)])))
            position += 4 + length
            if header & 0x80 != 0 { break }
        }
        return (blocks, Array(bytes[position...]))
    }

    /// "fLaC" + blocks (lengths as given, or each body's own) + audio.
    static func flac(_ blocks: [(UInt8, [UInt8])], audio: [UInt8], lengths: [Int: Int] = [:]) -> [UInt8] {
        var out = Array("fLaC".utf8)
        for (index, block) in blocks.enumerated() {
            let last: UInt8 = index == blocks.count - 1 ? 0x80 : 0
            let length = lengths[index] ?? block.1.count
            out += [block.0 | last, UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + block.1
        }
        return out + audio
    }

    static func expectGoodFields(_ tags: TrackTags, _ track: Corpus.Track, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(tags.title == track.tags.title, sourceLocation: sourceLocation)
        #expect(tags.artist == track.tags.artist, sourceLocation: sourceLocation)
        #expect(tags.album == track.tags.album, sourceLocation: sourceLocation)
        #expect(tags.trackNumber == track.tags.track, sourceLocation: sourceLocation)
    }

    // MARK: Hostile (issue 18)

    @Test("A 16 MB ID3v2 frame of NUL-separated values is cut to the limits and reported, not read whole")
    func hugeID3v2ListIsBounded() throws {
        // Given a corpus MP3 whose tag is a good title plus one TPE1 frame of 8 million one-letter values
        let (source, _) = try Self.track("mp3")
        let audio = Self.audioWithoutID3v2(try Fixtures.read(source))
        var values = [UInt8](repeating: 0, count: 16_000_000)
        for index in stride(from: 0, to: values.count, by: 2) { values[index] = UInt8(ascii: "a") }
        let tag = Fixtures.id3v2(version: 4, frames: [
            Fixtures.textFrame("TIT2", ["Good title"]),
            Fixtures.frame("TPE1", [3] + values, version: 4),
            Fixtures.textFrame("TALB", ["Good album"]),
        ])
        let dir = try TemporaryDirectory("hostile-id3")
        let path = dir.appending("huge.mp3")
        try Fixtures.write(tag + audio, to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then the fields around the huge frame are read, the list is cut and the cut is reported
        #expect(result.tags.title == "Good title")
        #expect(result.tags.album == "Good album")
        #expect(result.tags.artists == ["a"])  // 256 values kept, all the same name
        #expect(result.warnings.contains { $0.code == .tagTruncated && $0.message.contains("ID3v2") })
        #expect(result.audio.codec == "mp3" && (result.audio.durationMs ?? 0) > 0)
    }

    @Test("A FLAC Vorbis comment block of a million entries is read within the limits (libavformat never sees it)")
    func hugeVorbisCommentIsBounded() throws {
        // Given a corpus FLAC whose comment block is 16 MB: its title, then ARTIST=a a million times
        let (source, track) = try Self.track("flac")
        var (blocks, audio) = Self.flacBlocks(try Fixtures.read(source))
        let vendor = Array("hostile".utf8)
        var comment = Fixtures.littleEndian32(vendor.count) + vendor
        let entries = 1_390_000
        comment += Fixtures.littleEndian32(entries + 1)
        let title = Array("TITLE=\(track.tags.title!)".utf8)
        comment += Fixtures.littleEndian32(title.count) + title
        let artist = Fixtures.littleEndian32(8) + Array("ARTIST=a".utf8)
        comment.reserveCapacity(comment.count + entries * artist.count)
        for _ in 0..<entries { comment += artist }
        blocks.removeAll { $0.0 == 4 }
        blocks.insert((4, comment), at: 1)
        let dir = try TemporaryDirectory("hostile-flac")
        let path = dir.appending("huge.flac")
        try Fixtures.write(Self.flac(blocks, audio: audio), to: path)
        // When probed (libavformat's own reading of this block takes hours)
        let result = try TagReader().probe(RawPath(path))
        // Then the title and the stream are read, the artists cut, and the cut reported
        #expect(result.tags.title == track.tags.title)
        #expect(result.tags.artists == ["a"])
        #expect(result.warnings.contains { $0.code == .tagTruncated })
        #expect(result.audio.sampleRate == track.sample_rate)
        let ms = try #require(result.audio.durationMs)
        #expect(abs(Double(ms) / 1000 - track.duration) < 0.1)
    }

    @Test("An Ogg Vorbis or Opus comment of 20,000 entries is read within the limits, its cover kept (libavformat sees 0 entries)",
          arguments: ["ogg", "opus"])
    func hugeOggCommentIsBounded(format: String) throws {
        // Given a corpus Ogg file whose comment header is re-written: the title, a cover as
        // METADATA_BLOCK_PICTURE, then ARTIST=a 20,000 times (over the 8,192 entries we look at)
        let (source, track) = try Self.track(format)
        let picture = Fixtures.bigEndian32(3) + Fixtures.bigEndian32(10) + Array("image/jpeg".utf8) + Fixtures.bigEndian32(0)
            + [UInt8](repeating: 0, count: 16) + Fixtures.bigEndian32(HostileFiles.jpeg.count) + Array(HostileFiles.jpeg)
        let entries = ["TITLE=\(track.tags.title!)", "METADATA_BLOCK_PICTURE=" + Data(picture).base64EncodedString()]
            + Array(repeating: "ARTIST=a", count: 20_000)
        let dir = try TemporaryDirectory("hostile-ogg")
        let path = dir.appending("huge.\(format)")
        try Fixtures.write(HostileFiles.ogg(try Fixtures.read(source), comment: entries), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then the title, the cover and the stream are read, the artists cut, and the cut reported
        #expect(result.tags.title == track.tags.title)
        #expect(result.tags.artists == ["a"])
        #expect(result.warnings.contains { $0.code == .tagTruncated && $0.message.contains("Vorbis comment") })
        #expect(result.artwork?.mimeType == "image/jpeg")
        #expect(result.audio.sampleRate == track.sample_rate)
        let ms = try #require(result.audio.durationMs)
        #expect(abs(Double(ms) / 1000 - track.duration) < 0.1)
    }

    @Test("A chained Ogg whose second link's comment has 200,000 entries: the second link is checked like the first, hidden from libavformat and reported, and the first link's tags are the file's")
    func chainedOggLaterLinkIsBounded() throws {
        // Given a short Vorbis file (under the 64 KiB a probe reads, so the probe meets the next
        // link) followed by a corpus Ogg whose comment is re-written with ARTIST=a 200,000 times
        let (source, track) = try Self.track("ogg")
        let dir = try TemporaryDirectory("chained-ogg")
        let first = dir.appending("first.ogg")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3:sample_rate=44100", "-c:a", "libvorbis",
                          "-serial_offset", "424242", "-metadata", "title=First link", "-bitexact", first])
        let second = HostileFiles.ogg(try Fixtures.read(source), comment: ["TITLE=\(track.tags.title!)"] + Array(repeating: "ARTIST=a", count: 200_000))
        let path = dir.appending("chained.ogg")
        try Fixtures.write(try Fixtures.read(first) + second, to: path)
        // When probed (libavformat would append 200,000 values to one string: quadratic)
        let result = try TagReader().probe(RawPath(path))
        // Then the first link's tags are the file's, and the second link's comment is reported
        #expect(result.tags.title == "First link")
        #expect(result.tags.artists.isEmpty)
        #expect(result.warnings.contains { $0.code == .tagTruncated && $0.message.contains("stream 2") && $0.message.contains("200001 entries") },
                "\(result.warnings)")
        #expect(result.audio.codec == "vorbis")
    }

    @Test("An MP4 tag list of 3,000 freeform items is hidden from libavformat and read by us within the limits")
    func hugeMP4ItemListIsBounded() throws {
        // Given a corpus M4A whose ilst gets 3,000 freeform items of distinct names after its own
        let (source, track) = try Self.track("m4a")
        let dir = try TemporaryDirectory("hostile-m4a")
        let path = dir.appending("huge.m4a")
        try Fixtures.write(HostileFiles.m4a(try Fixtures.read(source), freeformItems: 3000), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then the file's own tags are read (by our ilst reader), and the list's size is reported
        Self.expectGoodFields(result.tags, track)
        #expect(result.warnings.contains { $0.code == .tagTruncated && $0.message.contains("MP4") })
        #expect(result.audio.codec == "aac" && result.audio.sampleRate == track.sample_rate)
        let ms = try #require(result.audio.durationMs)
        #expect(abs(Double(ms) / 1000 - track.duration) < 0.1)
    }

    // MARK: Damaged (issue 15)

    @Test("Malformed POPM and APIC frames and a frame running past the tag's end leave the other ID3v2 frames readable")
    func damagedID3v2Frames() throws {
        // Given a corpus MP3 re-tagged with good frames, a 1-byte POPM, an APIC whose mime never ends,
        // and last a TCOM frame claiming more bytes than the tag has
        let (source, track) = try Self.track("mp3")
        let audio = Self.audioWithoutID3v2(try Fixtures.read(source))
        var frames = [
            Fixtures.textFrame("TIT2", [track.tags.title!]),
            Fixtures.frame("POPM", [0x01], version: 4),
            Fixtures.textFrame("TPE1", [track.tags.artist!]),
            Fixtures.frame("APIC", [0] + Array("image/jpeg".utf8), version: 4),
            Fixtures.textFrame("TALB", [track.tags.album!]),
            Fixtures.textFrame("TRCK", [String(track.tags.track!)]),
        ]
        frames.append(Array("TCOM".utf8) + Fixtures.syncsafe(100_000) + [0, 0, 3] + Array("Composer".utf8))
        let dir = try TemporaryDirectory("damaged-id3")
        let path = dir.appending("damaged.mp3")
        try Fixtures.write(Fixtures.id3v2(version: 4, frames: frames, padding: 0) + audio, to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then every sound frame is read and the overrun is reported
        Self.expectGoodFields(result.tags, track)
        #expect(result.warnings.contains { $0.code == .tagDamaged && $0.message.contains("TCOM") })
        #expect(!result.hasArtwork)
    }

    @Test("A truncated MP3 keeps its tag and gets the duration of the audio that is there, not the header's")
    func truncatedMP3() throws {
        // Given the first 40% of a corpus MP3 (its Xing/Info header counts the whole)
        let (source, track) = try Self.track("mp3")
        let bytes = try Fixtures.read(source)
        let whole = try TagReader().probe(RawPath(source))
        let audioStart = bytes.count - Self.audioWithoutID3v2(bytes).count
        let cut = audioStart + (bytes.count - audioStart) * 4 / 10
        let dir = try TemporaryDirectory("truncated-mp3")
        let path = dir.appending("cut.mp3")
        try Fixtures.write(Array(bytes[..<cut]), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then the tags are all there and the duration is about 40% of the whole, with a warning
        Self.expectGoodFields(result.tags, track)
        let full = try #require(whole.audio.durationMs)
        let ms = try #require(result.audio.durationMs)
        #expect(abs(Double(ms) - Double(full) * 0.4) < Double(full) * 0.1, "\(ms) ms of \(full) ms")
        #expect(result.warnings.contains { $0.code == .durationFromStream })
    }

    @Test("A FLAC whose comment block length is wrong keeps its comments, stream and duration")
    func flacWrongBlockLength() throws {
        // Given a corpus FLAC whose VORBIS_COMMENT header claims 3000 bytes more than it has
        let (source, track) = try Self.track("flac")
        let (blocks, audio) = Self.flacBlocks(try Fixtures.read(source))
        let index = try #require(blocks.firstIndex { $0.0 == 4 })
        let dir = try TemporaryDirectory("damaged-flac")
        let path = dir.appending("length.flac")
        try Fixtures.write(Self.flac(blocks, audio: audio, lengths: [index: blocks[index].1.count + 3000]), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then
        Self.expectGoodFields(result.tags, track)
        #expect(result.audio.sampleRate == track.sample_rate && result.audio.channels == track.channels)
        #expect(abs(Double(result.audio.durationMs ?? 0) / 1000 - track.duration) < 0.1)
        #expect(result.warnings.contains { $0.code == .tagDamaged && $0.message.contains("FLAC") })
    }

    @Test("A FLAC with an invalid STREAMINFO gets its parameters and duration from its frames")
    func flacInvalidStreamInfo() throws {
        // Given a corpus FLAC whose STREAMINFO sample rate and length are zeroed
        let (source, track) = try Self.track("flac")
        var (blocks, audio) = Self.flacBlocks(try Fixtures.read(source))
        blocks[0].1[10] = 0
        blocks[0].1[11] = 0
        blocks[0].1[12] &= 0x0F
        for i in 13...17 { blocks[0].1[i] = i == 13 ? blocks[0].1[13] & 0xF0 : 0 }
        let dir = try TemporaryDirectory("damaged-flac")
        let path = dir.appending("streaminfo.flac")
        try Fixtures.write(Self.flac(blocks, audio: audio), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then
        Self.expectGoodFields(result.tags, track)
        #expect(result.audio.sampleRate == track.sample_rate && result.audio.channels == track.channels)
        let ms = try #require(result.audio.durationMs)
        #expect(abs(Double(ms) / 1000 - track.duration) < 0.15, "\(ms) ms, want \(track.duration) s")
        #expect(result.warnings.contains { $0.code == .durationFromStream })
    }

    @Test("A WavPack without a stored length gets its duration from its last block")
    func wavPackWithoutLength() throws {
        // Given a corpus WAV encoded to WavPack, then every block's total_samples set to "unknown"
        let (source, track) = try Self.track("wav")
        let dir = try TemporaryDirectory("damaged-wv")
        let path = dir.appending("nolength.wv")
        try Shell.ffmpeg(["-i", source, "-c:a", "wavpack", "-map_metadata", "0", "-bitexact", path])
        var bytes = try Fixtures.read(path)
        var index = 0
        while index + 32 <= bytes.count {
            if bytes[index..<(index + 4)].elementsEqual("wvpk".utf8) {
                bytes.replaceSubrange((index + 12)..<(index + 16), with: [0xFF, 0xFF, 0xFF, 0xFF])
                bytes[index + 11] = 0
                index += 32
            } else {
                index += 1
            }
        }
        try Fixtures.write(bytes, to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then
        #expect(result.tags.title == track.tags.title)
        let ms = try #require(result.audio.durationMs)
        #expect(abs(Double(ms) / 1000 - track.duration) < 0.05, "\(ms) ms, want \(track.duration) s")
        #expect(result.warnings.contains { $0.code == .durationFromStream })
    }

    @Test("An MP4 whose mdat atom has a 64-bit size is read like any other")
    func mp4With64BitAtom() throws {
        // Given a corpus M4A whose 8-byte `free` + `mdat` headers become one 16-byte 64-bit `mdat`
        // header (what a muxer writes for a mdat over 4 GiB; the audio stays where it was)
        let (source, track) = try Self.track("m4a")
        let bytes = try Fixtures.read(source)
        var position = 0
        var atoms: [(type: String, offset: Int, size: Int)] = []
        while position + 8 <= bytes.count {
            let size = bytes[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
            atoms.append((String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self), position, size))
            guard size >= 8 else { break }
            position += size
        }
        let free = try #require(atoms.firstIndex { $0.type == "free" && $0.size == 8 })
        let mdat = try #require(atoms.indices.contains(free + 1) ? atoms[free + 1] : nil)
        #expect(mdat.type == "mdat")
        let header: [UInt8] = [0, 0, 0, 1] + Array("mdat".utf8) + (0..<8).reversed().map { UInt8(((mdat.size + 8) >> ($0 * 8)) & 0xFF) }
        let rewritten = Array(bytes[..<atoms[free].offset]) + header + Array(bytes[(mdat.offset + 8)...])
        let dir = try TemporaryDirectory("mp4-64")
        let path = dir.appending("large.m4a")
        try Fixtures.write(rewritten, to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then
        Self.expectGoodFields(result.tags, track)
        #expect(abs(Double(result.audio.durationMs ?? 0) / 1000 - track.duration) < 0.1)
    }

    @Test("Raw ADTS AAC behind an ID3v2 tag keeps its tags and gets a duration from the stream")
    func adtsWithID3() throws {
        // Given a corpus M4A's AAC remuxed to a raw ADTS stream with an ID3v2 tag
        let (source, track) = try Self.track("m4a")
        let dir = try TemporaryDirectory("adts")
        let path = dir.appending("raw.aac")
        try Shell.ffmpeg(["-i", source, "-c:a", "copy", "-write_id3v2", "1", "-bitexact", path])
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then
        Self.expectGoodFields(result.tags, track)
        #expect(result.audio.codec == "aac" && result.audio.sampleRate == track.sample_rate)
        #expect(abs(Double(result.audio.durationMs ?? 0) / 1000 - track.duration) < track.duration * 0.05)
    }

    @Test("A FLAC with a malformed PICTURE block keeps its comments and stream")
    func flacBadPicture() throws {
        // Given a corpus FLAC with a cover whose PICTURE block's data length overruns the block
        let (source, track) = try Self.track("flac", cover: true)
        var (blocks, audio) = Self.flacBlocks(try Fixtures.read(source))
        let index = try #require(blocks.firstIndex { $0.0 == 6 })
        var picture = blocks[index].1
        let mime = Int(picture[4]) << 24 | Int(picture[5]) << 16 | Int(picture[6]) << 8 | Int(picture[7])
        let description = Int(picture[8 + mime]) << 24 | Int(picture[9 + mime]) << 16 | Int(picture[10 + mime]) << 8 | Int(picture[11 + mime])
        let dataLength = 28 + mime + description
        picture.replaceSubrange(dataLength..<(dataLength + 4), with: Fixtures.bigEndian32(picture.count * 2))
        blocks[index].1 = picture
        let dir = try TemporaryDirectory("damaged-flac")
        let path = dir.appending("picture.flac")
        try Fixtures.write(Self.flac(blocks, audio: audio), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then
        Self.expectGoodFields(result.tags, track)
        #expect(abs(Double(result.audio.durationMs ?? 0) / 1000 - track.duration) < 0.1)
        #expect(result.warnings.contains { $0.code == .tagDamaged && $0.message.contains("PICTURE") })
    }

    // MARK: WAV tags and bit rates (issue 15, TagLib agreement)

    /// One RIFF chunk: id, little-endian size, body, a pad byte when the size is odd.
    static func riffChunk(_ id: String, _ body: [UInt8], declaredSize: Int? = nil) -> [UInt8] {
        Array(id.utf8) + Fixtures.littleEndian32(declaredSize ?? body.count) + body + (body.count % 2 == 1 ? [0] : [])
    }

    /// A `LIST/INFO` chunk of (id, text bytes) items, each NUL-terminated.
    static func infoList(_ items: [(String, [UInt8])]) -> [UInt8] {
        riffChunk("LIST", Array("INFO".utf8) + items.flatMap { riffChunk($0.0, $0.1 + [0]) })
    }

    /// A WAVE file of one second of 8 kHz mono 16-bit silence with `chunks` after its data.
    static func wav(after chunks: [[UInt8]]) -> [UInt8] {
        let format: [UInt8] = [1, 0, 1, 0] + Fixtures.littleEndian32(8000) + Fixtures.littleEndian32(16000) + [2, 0, 16, 0]
        let body = Array("WAVE".utf8) + riffChunk("fmt ", format) + riffChunk("data", [UInt8](repeating: 0, count: 16000)) + chunks.flatMap { $0 }
        return Array("RIFF".utf8) + Fixtures.littleEndian32(body.count) + body
    }

    @Test("A WAV's first INFO list is read and the repeated one skipped and reported (libavformat keeps the last)")
    func wavRepeatedInfoLists() throws {
        // Given a WAV with two INFO lists (TagLib's duplicate_tags.wav, in crafted bytes)
        let first = Self.infoList([("INAM", Array("Title1".utf8)), ("IART", Array("Artist1".utf8)), ("IPRD", Array("Album1".utf8)),
                                   ("ITRK", Array("3".utf8)), ("ICRD", Array("2001-05-02".utf8)), ("IGNR", Array("Jazz".utf8))])
        let second = Self.infoList([("INAM", Array("Title2".utf8)), ("IART", Array("Artist2".utf8)), ("IPRD", Array("Album2".utf8))])
        let dir = try TemporaryDirectory("riff-info")
        let path = dir.appending("twice.wav")
        try Fixtures.write(Self.wav(after: [first, second]), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then the first list's values are the track's, and the second list is a warning
        #expect(result.tags.title == "Title1" && result.tags.artist == "Artist1" && result.tags.album == "Album1")
        #expect(result.tags.trackNumber == 3 && result.tags.year == 2001 && result.tags.genres == ["Jazz"])
        #expect(result.audio.durationMs == 1000 && result.audio.sampleRate == 8000)
        #expect(result.warnings.contains { $0.code == .tagDamaged && $0.message.contains("2 INFO lists") })
    }

    @Test("A WAV's ID3 chunk comes before its INFO list; Latin-1 INFO text and an item running past its list are read")
    func wavID3ChunkAndDamagedInfo() throws {
        // Given a WAV with an ID3 chunk (title only), then an INFO list whose album is Latin-1 and
        // whose last item claims 200 bytes more than the list holds
        let id3 = Self.riffChunk("id3 ", Fixtures.id3v2(version: 4, frames: [Fixtures.textFrame("TIT2", ["Título ID3"])]))
        let listBody = Array("INFO".utf8) + Self.riffChunk("INAM", Array("Info title".utf8) + [0])
            + Self.riffChunk("IPRD", [0x43, 0x61, 0x66, 0xE9, 0]) // "Café" in Latin-1
            + Array("IART".utf8) + Fixtures.littleEndian32(210) + Array("Artist".utf8) + [0, 0]
        let items = Array("LIST".utf8) + Fixtures.littleEndian32(listBody.count) + listBody
        let dir = try TemporaryDirectory("riff-info")
        let path = dir.appending("id3.wav")
        try Fixtures.write(Self.wav(after: [id3, items]), to: path)
        // When probed
        let result = try TagReader().probe(RawPath(path))
        // Then the ID3 title wins, the INFO list fills the rest, and the overrun is reported
        #expect(result.tags.title == "Título ID3")
        #expect(result.tags.album == "Café")
        #expect(result.tags.artist == "Artist")
        #expect(result.warnings.contains { $0.code == .tagDamaged && $0.message.contains("IART") })
    }

    @Test("A FLAC's bit rate counts its audio, not its metadata (a 300 kB padding block changes nothing)")
    func flacBitRateExcludesMetadata() throws {
        // Given a corpus FLAC, and the same with a 300 kB PADDING block added to its metadata
        let (source, _) = try Self.track("flac")
        let (blocks, audio) = Self.flacBlocks(try Fixtures.read(source))
        let dir = try TemporaryDirectory("flac-bitrate")
        let path = dir.appending("padded.flac")
        try Fixtures.write(Self.flac(blocks + [(1, [UInt8](repeating: 0, count: 300_000))], audio: audio), to: path)
        // When both are probed
        let plain = try TagReader().probe(RawPath(source))
        let padded = try TagReader().probe(RawPath(path))
        // Then both bit rates are the audio's bytes over the duration
        let ms = try #require(plain.audio.durationMs)
        let expected = audio.count * 8000 / ms
        for result in [plain, padded] {
            let bitrate = try #require(result.audio.bitrate)
            #expect(abs(bitrate - expected) <= expected / 100, "\(bitrate) b/s, want \(expected)")
        }
    }

    @Test("A WavPack's bit rate counts its audio, not the APEv2 tag after it")
    func wavPackBitRateExcludesTags() throws {
        // Given a corpus WAV encoded to WavPack without tags, and the same with a 120 kB APEv2 tag
        let (source, track) = try Self.track("wav")
        let dir = try TemporaryDirectory("wv-bitrate")
        let plain = dir.appending("plain.wv")
        try Shell.ffmpeg(["-i", source, "-c:a", "wavpack", "-map_metadata", "-1", "-bitexact", plain])
        let tag = Fixtures.apev2([("Title", [track.tags.title!]), ("Comment", [String(repeating: "x", count: 60_000)]),
                                  ("Lyrics", [String(repeating: "y", count: 60_000)])])
        let tagged = dir.appending("tagged.wv")
        try Fixtures.write(try Fixtures.read(plain) + tag, to: tagged)
        // When both are probed
        let bare = try TagReader().probe(RawPath(plain))
        let result = try TagReader().probe(RawPath(tagged))
        // Then the tag is read and the bit rates agree
        #expect(result.tags.title == track.tags.title)
        let expected = try #require(bare.audio.bitrate)
        let bitrate = try #require(result.audio.bitrate)
        #expect(abs(bitrate - expected) <= expected / 100, "\(bitrate) b/s, want \(expected)")
    }

    @Test("A FLAC with two VORBIS_COMMENT blocks (TagLib's multiple-vc.flac): both are read and the second is reported, not silently merged")
    func flacTwoCommentBlocks() throws {
        // Given a corpus FLAC and the same with a second comment block naming another artist
        let (source, track) = try Self.track("flac")
        let (blocks, audio) = Self.flacBlocks(try Fixtures.read(source))
        let dir = try TemporaryDirectory("flac-two-vc")
        let path = dir.appending("two.flac")
        try Fixtures.write(Self.flac(blocks + [(4, HostileFiles.vorbisComment(["ARTIST=Second Block"]))], audio: audio), to: path)
        // When both are probed
        let plain = try TagReader().probe(RawPath(source))
        let result = try TagReader().probe(RawPath(path))
        // Then the first block's fields stay, the second's artist is added, and a warning says why
        #expect(result.tags.title == track.tags.title && result.tags.album == track.tags.album)
        #expect(result.tags.artists == [try #require(track.tags.artist), "Second Block"])
        #expect(result.warnings.contains { $0.code == .tagDamaged && $0.message.contains("2 VORBIS_COMMENT blocks") })
        #expect(!plain.warnings.contains { $0.message.contains("VORBIS_COMMENT") })
    }

    /// The bytes of the audio packets of `path`'s first audio stream (ffprobe), over its length.
    static func packetBitRate(_ path: String, durationMs: Int) throws -> Int {
        let out = try Shell.run(Shell.which("ffprobe") ?? "/usr/bin/ffprobe",
                                ["-v", "error", "-select_streams", "a:0", "-show_entries", "packet=size", "-of", "csv=p=0", path])
        let bytes = out.split(whereSeparator: { $0 == "\n" || $0 == "," }).compactMap { Int($0) }.reduce(0, +)
        return bytes * 8000 / durationMs
    }

    @Test("An Ogg's bit rate is its audio pages over its length: not the Vorbis header's nominal rate (24 kb/s for these near-silent tones), not its comment (1,000 more entries change nothing)")
    func oggBitRateFromAudio() throws {
        for format in ["ogg", "opus"] {
            // Given a corpus Ogg Vorbis or Opus, and the same with 1,000 comment entries (about 30 kB)
            let (source, _) = try Self.track(format)
            let dir = try TemporaryDirectory("ogg-bitrate")
            let padded = dir.appending("padded.\(format)")
            let entries = (0..<1000).map { "COMMENT=entry \($0) of a long comment" }
            try Fixtures.write(HostileFiles.ogg(try Fixtures.read(source), comment: entries), to: padded)
            // When both are probed
            let plain = try TagReader().probe(RawPath(source))
            let result = try TagReader().probe(RawPath(padded))
            // Then both are the audio packets' bytes over the length, plus the pages' headers
            // (27 bytes and a lacing table per page: under 15 % for these 2 s files)
            let ms = try #require(plain.audio.durationMs)
            let packets = try Self.packetBitRate(source, durationMs: ms)
            for probed in [plain, result] {
                let bitrate = try #require(probed.audio.bitrate)
                #expect(bitrate >= packets && bitrate <= packets * 115 / 100, "\(format): \(bitrate) b/s, packets \(packets) b/s")
            }
        }
    }

    /// A 4-channel WavPack (ffmpeg's encoder: one stereo block per pair of channels, the count
    /// and mask in the first block's ID_CHANNEL_INFO), its mask set to `mask` in every block.
    static func fourChannelWavPack(mask: UInt8?, in dir: TemporaryDirectory) throws -> (path: String, bytes: [UInt8]) {
        let (source, _) = try Self.track("wav")
        let path = dir.appending("four-\(mask ?? 0).wv")
        try Shell.ffmpeg(["-i", source, "-ac", "4", "-c:a", "wavpack", "-map_metadata", "-1", "-bitexact", path])
        var bytes = try Fixtures.read(path)
        if let mask {
            var index = 0
            while index + 40 <= bytes.count {
                // "wvpk", then a first sub-block 0x4D (ID_CHANNEL_INFO, odd size): count, mask
                if bytes[index..<(index + 4)].elementsEqual("wvpk".utf8), bytes[index + 32] == 0x4D {
                    #expect(bytes[index + 34] == 4)
                    bytes[index + 35] = mask
                    bytes[index + 36] = 0
                }
                index += 1
            }
            try Fixtures.write(bytes, to: path)
        }
        return (path, bytes)
    }

    @Test("A 4-channel WavPack whose channel mask names one speaker (TagLib's four_channels.wv) has 4 channels, not FFmpeg 5.1's mono")
    func wavPackChannelsFromBlocks() throws {
        // Given a 4-channel WavPack, and the same with its mask set to front centre alone
        let dir = try TemporaryDirectory("wv-channels")
        let sound = try Self.fourChannelWavPack(mask: nil, in: dir)
        let oneSpeaker = try Self.fourChannelWavPack(mask: 0x04, in: dir)
        // When probed
        let plain = try TagReader().probe(RawPath(sound.path))
        let result = try TagReader().probe(RawPath(oneSpeaker.path))
        // Then both have 4 channels
        #expect(plain.audio.channels == 4)
        #expect(result.audio.channels == 4)
        // And a corpus stereo or mono WavPack keeps the manifest's count
        let (source, track) = try Self.track("wav")
        let wv = dir.appending("plain.wv")
        try Shell.ffmpeg(["-i", source, "-c:a", "wavpack", "-map_metadata", "-1", "-bitexact", wv])
        #expect(try TagReader().probe(RawPath(wv)).audio.channels == track.channels)
    }

    // MARK: Played as they are listed

    /// Decodes the whole file with the one decoder the player, the transcoder and the analysis
    /// use, and answers the frames it gave and its sample rate.
    static func decodedFrames(_ path: String) throws -> (frames: Int, rate: Int) {
        let decoder = try AudioDecoder(path: RawPath(path))
        var frames = 0
        var bytes: [UInt8] = []
        while try decoder.read(minimumFrames: 16_384, into: &bytes) > 0 {
            frames += bytes.count / decoder.format.frameBytes
            bytes.removeAll(keepingCapacity: true)
        }
        return (frames, decoder.format.sampleRate)
    }

    @Test("A FLAC whose comment block length is wrong, one with an invalid STREAMINFO and an Ogg whose comment has 20,000 entries play whole: the decoder is given the file repaired as the probe is (libavformat alone refuses the first: \"Invalid data found\")")
    func damagedFilesDecodeWhole() throws {
        // Given the three files the probe reads repaired
        let (flacSource, flacTrack) = try Self.track("flac")
        let (blocks, audio) = Self.flacBlocks(try Fixtures.read(flacSource))
        let dir = try TemporaryDirectory("damaged-decode")
        let comment = try #require(blocks.firstIndex { $0.0 == 4 })
        let wrongLength = dir.appending("length.flac")
        try Fixtures.write(Self.flac(blocks, audio: audio, lengths: [comment: blocks[comment].1.count + 3000]), to: wrongLength)
        var zeroed = blocks
        zeroed[0].1[10] = 0
        zeroed[0].1[11] = 0
        zeroed[0].1[12] &= 0x0F
        for i in 13...17 { zeroed[0].1[i] = i == 13 ? zeroed[0].1[13] & 0xF0 : 0 }
        let badStreamInfo = dir.appending("streaminfo.flac")
        try Fixtures.write(Self.flac(zeroed, audio: audio), to: badStreamInfo)
        let (oggSource, oggTrack) = try Self.track("ogg")
        let hugeComment = dir.appending("huge.ogg")
        try Fixtures.write(HostileFiles.ogg(try Fixtures.read(oggSource), comment: Array(repeating: "ARTIST=a", count: 20_000)), to: hugeComment)
        // When each is decoded to its end, Then every second of it comes out at the track's rate
        for (path, track) in [(wrongLength, flacTrack), (badStreamInfo, flacTrack), (hugeComment, oggTrack)] {
            let (frames, rate) = try Self.decodedFrames(path)
            #expect(rate == track.sample_rate, "\(path)")
            #expect(abs(Double(frames) / Double(rate) - track.duration) < 0.1, "\(path): \(frames) frames at \(rate) Hz, want \(track.duration) s")
        }
    }

    @Test("A repaired file read across more than FormatContext's 5 s time limit keeps decoding: the patched input's deadline is renewed with each read, as libavformat's own is")
    func repairedFileOutlivesTheTimeLimit() async throws {
        // Given 20 s of stereo noise as FLAC (megabytes: more than libavformat buffers while it
        // opens) whose comment block length is wrong, so the decoder reads it patched
        let dir = try TemporaryDirectory("damaged-slow")
        let source = dir.appending("noise.flac")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "anoisesrc=d=20:c=pink:r=44100:a=0.3", "-ac", "2", "-c:a", "flac",
                          "-metadata", "title=Noise", "-bitexact", source])
        let (blocks, audio) = Self.flacBlocks(try Fixtures.read(source))
        let comment = try #require(blocks.firstIndex { $0.0 == 4 })
        let path = dir.appending("length.flac")
        try Fixtures.write(Self.flac(blocks, audio: audio, lengths: [comment: blocks[comment].1.count + 3000]), to: path)
        // When a first block is decoded, then the reader pauses past the limit (a paused player)
        let decoder = try AudioDecoder(path: RawPath(path))
        var bytes: [UInt8] = []
        var frames = try decoder.read(minimumFrames: 4096, into: &bytes) > 0 ? bytes.count / decoder.format.frameBytes : 0
        try await Task.sleep(for: .milliseconds(5_500))
        bytes.removeAll(keepingCapacity: true)
        while try decoder.read(minimumFrames: 16_384, into: &bytes) > 0 {
            frames += bytes.count / decoder.format.frameBytes
            bytes.removeAll(keepingCapacity: true)
        }
        // Then the rest of the track still comes out (before, every read failed with AVERROR_EXIT)
        #expect(abs(Double(frames) / Double(decoder.format.sampleRate) - 20) < 0.1, "\(frames) frames")
    }
}
