import Foundation
import MediaIO
import OmniModel
import Testing
import TestSupport

/// The one decoder (issue 16): what the player, the analysis and the transcoder read samples with.
@Suite("AudioDecoder and FloatSampleReader on real files")
struct AudioDecoderTests {
    init() { TestLog.install() }

    /// Ogg's page checksum (CRC-32, polynomial 0x04C11DB7, not reflected, initial 0).
    static func oggCRC(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0
        for byte in bytes {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }

    /// An Opus file of 0.1 s whose OpusHead declares `preSkip` samples (page checksum fixed).
    static func opus(preSkip: UInt16, in dir: TemporaryDirectory) throws -> String {
        let path = dir.appending("short.opus")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.1:sample_rate=48000", "-c:a", "libopus", "-bitexact", path])
        var bytes = try Fixtures.read(path)
        let magic = Array("OpusHead".utf8)
        let at = try #require((0..<(bytes.count - magic.count)).first { Array(bytes[$0..<($0 + magic.count)]) == magic })
        bytes[at + 10] = UInt8(preSkip & 0xFF)
        bytes[at + 11] = UInt8(preSkip >> 8)
        let segments = Int(bytes[26])
        let pageEnd = 27 + segments + bytes[27..<(27 + segments)].reduce(0) { $0 + Int($1) }
        bytes.replaceSubrange(22..<26, with: [0, 0, 0, 0])
        let crc = oggCRC(bytes[0..<pageEnd])
        bytes.replaceSubrange(22..<26, with: [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
        try Fixtures.write(bytes, to: path)
        return path
    }

    @Test("Given an Opus file whose pre-skip is longer than the stream, then the decoder's length is 0 like the tag reader's duration, never negative (the player's copy of the rule had no clamp)")
    func opusPreSkipIsClamped() throws {
        let dir = try TemporaryDirectory("preskip")
        let path = try Self.opus(preSkip: 20_000, in: dir)
        let decoder = try AudioDecoder(path: RawPath(path))
        #expect(decoder.codecName == "opus")
        #expect(decoder.lengthFrames == 0)
        #expect(try TagReader().probe(RawPath(path)).audio.durationMs == 0)
        // Decoding what there is ends without an error.
        var bytes: [UInt8] = []
        while try decoder.read(minimumFrames: 4096, into: &bytes) > 0 {}
        #expect(decoder.finished)
    }

    @Test("Given a FIFO, a missing file and garbage, then the decoder throws MediaIO's errors at once (the player's own opener blocked in open(2) on a FIFO)")
    func refusesWhatIsNotMusic() throws {
        let dir = try TemporaryDirectory("decoder-errors")
        let fifo = dir.appending("pipe.flac")
        #expect(mkfifo(fifo, 0o644) == 0)
        let fromFIFO = #expect(throws: MediaError.self) { try AudioDecoder(path: RawPath(fifo)) }
        // (Refused by the guarded open's `FileReader`: opened with O_NONBLOCK, then fstat.)
        #expect(fromFIFO?.reason == .unreadable && fromFIFO?.detail == "fstat: not a regular file")
        let missing = #expect(throws: MediaError.self) { try AudioDecoder(path: RawPath(dir.appending("missing.mp3"))) }
        #expect(missing?.reason == .unreadable)
        let garbage = dir.appending("garbage.mp3")
        try Fixtures.write((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }, to: garbage)
        do {
            _ = try AudioDecoder(path: RawPath(garbage))
            Issue.record("garbage decoded")
        } catch {
            #expect(error.reason == .unsupportedFormat)
            #expect(error.description.contains("garbage.mp3"))
        }
    }

    @Test("Given 2 s of 44.1 kHz stereo (0.5 and 0.25 tones), when read as mono at 22.05 kHz in blocks of 8192, then 44100 samples come in bounded blocks at the channels' mean; kept, the two channels keep their levels")
    func floatBlocks() throws {
        let dir = try TemporaryDirectory("float")
        let path = dir.appending("stereo.flac")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*440*t)|0.25*sin(2*PI*440*t):s=44100:d=2", "-c:a", "flac", path])
        let reader = try FloatSampleReader(path: RawPath(path), sampleRate: 22_050)
        #expect(reader.channels == 1)
        #expect(reader.sourceFormat.channels == 2 && reader.sourceFormat.sampleRate == 44_100)
        #expect(reader.lengthFrames == 44_100)
        var block: [Float] = []
        var total = 0, blocks = 0, peak: Float = 0
        while try reader.read(into: &block, maximumFrames: 8192) > 0 {
            #expect(block.count <= 8192)
            total += block.count
            blocks += 1
            peak = max(peak, block.map(abs).max() ?? 0)
        }
        #expect(abs(total - 44_100) <= 64, "\(total) samples")
        #expect(blocks == 6)
        #expect(peak > 0.35 && peak < 0.40, "peak \(peak): the mean is 0.375")

        let kept = try FloatSampleReader(path: RawPath(path), sampleRate: 44_100, channels: .kept)
        #expect(kept.channels == 2)
        var left: Float = 0, right: Float = 0, frames = 0
        while try kept.read(into: &block, maximumFrames: 4096) > 0 {
            #expect(block.count % 2 == 0)
            frames += block.count / 2
            for i in stride(from: 0, to: block.count, by: 2) {
                left = max(left, abs(block[i]))
                right = max(right, abs(block[i + 1]))
            }
        }
        #expect(frames == 88_200)
        #expect(abs(left - 0.5) < 0.01 && abs(right - 0.25) < 0.01, "\(left) \(right)")
        #expect(throws: MediaError.self) { try FloatSampleReader(path: RawPath(path), sampleRate: 0) }
    }
}
