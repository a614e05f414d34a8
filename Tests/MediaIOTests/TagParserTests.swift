@testable import MediaIO
import Testing
import TestSupport

@Suite("Our own ID3v2, ID3v1 and APEv2 parsers on hand-built bytes")
struct TagParserTests {
    @Test("ID3v2.4 NUL-separated text frames give several values, in every text encoding")
    func id3v24MultiValues() throws {
        for encoding: UInt8 in [0, 1, 2, 3] {
            // Given a v2.4 tag with multi-value TPE1 and TCON in this encoding
            let tag = Fixtures.id3v2(version: 4, frames: [
                Fixtures.textFrame("TIT2", ["Títle"], encoding: encoding),
                Fixtures.textFrame("TPE1", ["Alpha", "Beta"], encoding: encoding),
                Fixtures.textFrame("TCON", ["Rock", "Pop"], encoding: encoding),
                Fixtures.txxx("MusicBrainz Album Id", ["alb-1"], encoding: encoding),
            ])
            // When parsed
            let parsed = try #require(ID3v2Parser.parse(tag, includePictures: false))
            // Then every value is kept
            #expect(parsed.tags.values("TPE1") == ["Alpha", "Beta"], "encoding \(encoding)")
            #expect(parsed.tags.values("TIT2") == ["Títle"], "encoding \(encoding)")
            let tags = TagNormalizer.normalize(parsed.tags)
            #expect(tags.artists == ["Alpha", "Beta"] && tags.artist == "Alpha; Beta" && tags.genres == ["Rock", "Pop"])
            #expect(tags.musicBrainz?.albumId == "alb-1")
            #expect(parsed.totalSize == tag.count)
        }
    }

    @Test("ID3v2.3 UTF-16 frames with BOMs, TYER+TDAT and TXXX ReplayGain are read")
    func id3v23() throws {
        let tag = Fixtures.id3v2(version: 3, frames: [
            Fixtures.textFrame("TIT2", ["Hoppípolla 坂本"], encoding: 1, version: 3),
            Fixtures.textFrame("TPE1", ["Sigur Rós"], encoding: 1, version: 3),
            Fixtures.textFrame("TYER", ["1999"], encoding: 0, version: 3),
            Fixtures.textFrame("TDAT", ["0305"], encoding: 0, version: 3),
            Fixtures.textFrame("TRCK", ["3/12"], encoding: 0, version: 3),
            Fixtures.txxx("replaygain_track_gain", ["-6.5 dB"], encoding: 0, version: 3),
            Fixtures.frame("COMM", [0] + Array("eng".utf8) + Array("iTunNORM".utf8) + [0] + Array("junk".utf8), version: 3),
            Fixtures.frame("COMM", [0] + Array("eng".utf8) + [0] + Array("Nice".utf8), version: 3),
        ])
        let tags = TagNormalizer.normalize(try #require(ID3v2Parser.parse(tag, includePictures: false)).tags)
        #expect(tags.title == "Hoppípolla 坂本" && tags.artist == "Sigur Rós")
        #expect(tags.date == "1999-05-03" && tags.trackNumber == 3 && tags.trackTotal == 12)
        #expect(tags.replayGain?.trackGain == -6.5 && tags.comment == "Nice")
    }

    @Test("ID3v2.2 three-letter frames map to the same fields")
    func id3v22() throws {
        let tag = Fixtures.id3v2(version: 2, frames: [
            Fixtures.textFrame("TT2", ["Old"], encoding: 0, version: 2),
            Fixtures.textFrame("TP1", ["Artist"], encoding: 0, version: 2),
            Fixtures.textFrame("TCO", ["(17)"], encoding: 0, version: 2),
        ])
        let tags = TagNormalizer.normalize(try #require(ID3v2Parser.parse(tag, includePictures: false)).tags)
        #expect(tags.title == "Old" && tags.artist == "Artist" && tags.genres == ["Rock"])
    }

    @Test("Tag-level unsynchronisation (v2.3) and frame-level unsynchronisation (v2.4) are undone")
    func unsynchronisation() throws {
        // Given a UTF-16 frame whose BOM is 0xFF 0xFE, which unsynchronisation escapes
        let frame = Fixtures.textFrame("TIT2", ["ÿ Title"], encoding: 1, version: 3)
        let body = Fixtures.unsynchronise(frame)
        #expect(body.count > frame.count)
        let v23 = Array("ID3".utf8) + [3, 0, 0x80] + Fixtures.syncsafe(body.count) + body
        #expect(try #require(ID3v2Parser.parse(v23, includePictures: false)).tags.values("TIT2") == ["ÿ Title"])
        // Given the same frame in v2.4 with the frame's unsynchronisation flag
        let content = Fixtures.unsynchronise([1] + Fixtures.encode(["ÿ Title"], encoding: 1))
        let v24frame = Array("TIT2".utf8) + Fixtures.syncsafe(content.count) + [0, 0x02] + content
        let v24 = Fixtures.id3v2(version: 4, frames: [v24frame])
        #expect(try #require(ID3v2Parser.parse(v24, includePictures: false)).tags.values("TIT2") == ["ÿ Title"])
    }

    @Test("A v2.4 frame with a non-syncsafe size (the iTunes bug) does not end the tag")
    func nonSyncsafeFrameSize() throws {
        let long = String(repeating: "x", count: 200)
        let content: [UInt8] = [3] + Array(long.utf8)
        let buggy = Array("TIT2".utf8) + Fixtures.bigEndian32(content.count) + [0, 0] + content
        let tag = Fixtures.id3v2(version: 4, frames: [buggy, Fixtures.textFrame("TPE1", ["After"])])
        let parsed = try #require(ID3v2Parser.parse(tag, includePictures: false))
        #expect(parsed.tags.values("TIT2") == [long])
        #expect(parsed.tags.values("TPE1") == ["After"])
    }

    @Test("Truncated and garbage tags are parsed as far as they go, never trusted")
    func truncatedAndGarbage() throws {
        let tag = Fixtures.id3v2(version: 4, frames: [Fixtures.textFrame("TIT2", ["Kept"]), Fixtures.textFrame("TPE1", ["Lost artist"])])
        // Cut in the middle of the second frame
        let cut = Array(tag.prefix(10 + 15 + 8))
        let parsed = try #require(ID3v2Parser.parse(cut, includePictures: false))
        #expect(parsed.tags.values("TIT2") == ["Kept"])
        #expect(parsed.tags.values("TPE1").isEmpty)
        // A frame claiming 2 GB
        let huge = Array("TIT2".utf8) + [0x7F, 0x7F, 0x7F, 0x7F, 0, 0, 3, 0x41]
        #expect(ID3v2Parser.parse(Fixtures.id3v2(version: 4, frames: [huge]), includePictures: false)?.tags.isEmpty == true)
        // Not a tag at all, or a header with an invalid size byte
        #expect(ID3v2Parser.parse(Array("garbage!!!!!".utf8), includePictures: false) == nil)
        #expect(ID3v2Parser.parse(Array("ID3".utf8) + [4, 0, 0, 0x80, 0, 0, 0], includePictures: false) == nil)
        // Random bytes after a valid header
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let body = (0..<64).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = ID3v2Parser.parse(Array("ID3".utf8) + [UInt8.random(in: 2...4, using: &random), 0, UInt8.random(in: 0...255, using: &random)] + Fixtures.syncsafe(body.count) + body, includePictures: true)
        }
    }

    @Test("APIC pictures are returned with their type when asked for")
    func pictures() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
        let apic = Fixtures.frame("APIC", [0] + Array("image/jpeg".utf8) + [0, 3] + Array("cover".utf8) + [0] + png, version: 4)
        let parsed = try #require(ID3v2Parser.parse(Fixtures.id3v2(version: 4, frames: [apic]), includePictures: true))
        #expect(parsed.pictures == [EmbeddedPicture(statedMime: "image/jpeg", pictureType: 3, data: png)])
        #expect(ImageSniffer.mimeType(of: png) == "image/png")
        #expect(ImageSniffer.mimeType(of: [0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        #expect(ImageSniffer.mimeType(of: Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == "image/webp")
        #expect(ImageSniffer.mimeType(of: Array("GIF89a".utf8)) == "image/gif")
    }

    @Test("ID3v1.1 gives title, artist, album, year, track and genre")
    func id3v1() throws {
        let block = Fixtures.id3v1(title: "Old Title", artist: "Old Artist", album: "Old Album", year: "1987", comment: "hi", track: 7, genre: 17)
        let tags = TagNormalizer.normalize(try #require(ID3v1Parser.parse(block)))
        #expect(tags.title == "Old Title" && tags.artist == "Old Artist" && tags.album == "Old Album")
        #expect(tags.year == 1987 && tags.trackNumber == 7 && tags.genres == ["Rock"] && tags.comment == "hi")
        let v10 = Fixtures.id3v1(title: "T", artist: "", album: "", year: "", comment: String(repeating: "c", count: 30), track: nil, genre: 255)
        let plain = TagNormalizer.normalize(try #require(ID3v1Parser.parse(v10)))
        #expect(plain.trackNumber == nil && plain.genres.isEmpty && plain.artist == nil)
        #expect(ID3v1Parser.parse([UInt8](repeating: 0, count: 128)) == nil)
    }

    @Test("APEv2 items with NUL-separated values give several values; bad sizes are rejected")
    func apev2() throws {
        let tag = Fixtures.apev2([("Artist", ["Alpha", "Beta"]), ("Title", ["Ape Title"]), ("Year", ["2004"]), ("Genre", ["Jazz"])])
        let footer = Array(tag.suffix(32))
        let layout = try #require(APEv2Parser.footerLayout(footer))
        #expect(layout.itemCount == 4 && layout.hasHeader)
        let items = tag.dropFirst(32).dropLast(32)
        let raw = try #require(APEv2Parser.parseItems(items, count: layout.itemCount))
        let tags = TagNormalizer.normalize(raw)
        #expect(tags.artists == ["Alpha", "Beta"] && tags.artist == "Alpha; Beta" && tags.title == "Ape Title" && tags.year == 2004)
        // An item whose value size runs past the end stops parsing without a crash
        var bad = Array(items)
        bad[0] = 0xFF; bad[1] = 0xFF
        #expect(try #require(APEv2Parser.parseItems(bad[...], count: 4)).isEmpty)
    }

    @Test("WavPack ID_CHANNEL_INFO in its three forms is read; truncated, oversized and garbage sub-blocks answer nil or a count, never a read past the bytes")
    func wavPackChannelInfo() throws {
        // Given the three forms: count + mask (even, odd and large-header sizes) and WavPack 5's 12-bit count
        #expect(WavPackBlock.channelInfo([0x0D, 0x01, 0x04, 0x07]) == 4)
        #expect(WavPackBlock.channelInfo([0x21, 0x01, 0xAA, 0xBB, 0x4D, 0x03, 0x06, 0x3F, 0x06, 0x00, 0x00, 0x00]) == 6)
        #expect(WavPackBlock.channelInfo([0x8D, 0x01, 0x00, 0x00, 0x02, 0x03]) == 2)
        #expect(WavPackBlock.channelInfo([0x0D, 0x03, 0x05, 0x00, 0x01, 0xFF, 0xFF, 0xFF]) == 262)
        // And hostile ones: no sub-block, a zero count, a size past the end, 8 bytes of info
        #expect(WavPackBlock.channelInfo([]) == nil)
        #expect(WavPackBlock.channelInfo([0x0D, 0x01, 0x00, 0x03]) == nil)
        #expect(WavPackBlock.channelInfo([0x0D, 0xFF, 0x04]) == nil)
        #expect(WavPackBlock.channelInfo([0x8D, 0xFF, 0xFF]) == nil)
        #expect(WavPackBlock.channelInfo([0x0D, 0x04] + [UInt8](repeating: 4, count: 8)) == nil)
        #expect(WavPackBlock.channelInfo([0x22, 0xFF, 0x0D, 0x01, 0x04, 0x07]) == nil)
        // And every prefix and every one-byte change of a real first block (mask patched as in
        // four_channels.wv): each answer is nil or a count the bytes can hold
        let dir = try TemporaryDirectory("wv-info")
        let bytes = try DamagedFileTests.fourChannelWavPack(mask: 0x04, in: dir).bytes
        let header = try #require(WavPackBlock(bytes[...]))
        #expect(header.flags & 0x800 != 0 && header.flags & 0x1000 == 0) // first of a multi-block frame
        let body = Array(bytes[WavPackBlock.headerSize..<min(bytes.count, header.size)])
        #expect(WavPackBlock.channelInfo(body) == 4)
        for length in 0...min(body.count, 64) {
            let answer = WavPackBlock.channelInfo(Array(body.prefix(length)))
            #expect(answer == nil || answer == 4)
        }
        for index in 0..<min(body.count, 64) {
            for value: UInt8 in [0x00, 0x0D, 0x4D, 0x80, 0xFF] {
                var changed = body
                changed[index] = value
                let answer = WavPackBlock.channelInfo(changed)
                #expect(answer.map { (1...4096).contains($0) } ?? true)
            }
        }
        #expect(WavPackBlock(Array("wvpk".utf8)[...]) == nil)
        #expect(WavPackBlock(bytes[1...]) == nil)
    }
}
