import Foundation
import MediaIO
import OmniModel
import Testing
import TestSupport

@Suite("Track identity from audio packets")
struct AudioIdentityTests {
    init() { TestLog.install() }

    @Test("Renaming, copying and re-tagging with ffmpeg -c copy keep the uid in every format", arguments: [
        ("mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
        ("flac", ["-c:a", "flac"]),
        ("ogg", ["-c:a", "libvorbis"]),
        ("opus", ["-c:a", "libopus", "-b:a", "16k"]),
        ("m4a", ["-c:a", "aac", "-b:a", "32k"]),
        ("wav", ["-c:a", "pcm_s16le"]),
    ])
    func stableUnderRetag(format: String, codec: [String]) throws {
        // Given an encoded tone with tags
        let dir = try TemporaryDirectory("uid-\(format)")
        let original = dir.appending("a.\(format)")
        try Fixtures.tone(original, seconds: 2, extra: codec + ["-metadata", "title=Before", "-metadata", "artist=Someone"])
        let reader = TagReader()
        let uid = try reader.probe(RawPath(original)).uid
        #expect(uid.rawValue.count == 26 && uid.rawValue.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })

        // When it is copied under another name
        let copy = dir.appending("renamed copy.\(format)")
        try FileManager.default.copyItem(atPath: original, toPath: copy)
        // And re-tagged without re-encoding
        let retagged = dir.appending("retagged.\(format)")
        try Shell.ffmpeg(["-i", original, "-map", "0:a", "-c", "copy", "-map_metadata", "-1",
                          "-metadata", "title=After", "-metadata", "album=New Album", "-metadata", "comment=\(String(repeating: "x", count: 3000))", retagged])

        // Then all three have the same uid, and the new tags are read
        #expect(try reader.probe(RawPath(copy)).uid == uid)
        let after = try reader.probe(RawPath(retagged))
        #expect(after.tags.title == "After")
        #expect(after.uid == uid, "\(format): re-tagging changed the uid")
    }

    @Test("Different audio gives different uids, and so does a re-encode")
    func differentAudio() throws {
        let dir = try TemporaryDirectory("uid-diff")
        let a = dir.appending("a.flac"), b = dir.appending("b.flac"), c = dir.appending("c.ogg")
        try Fixtures.tone(a, frequency: 440)
        try Fixtures.tone(b, frequency: 441)
        try Fixtures.tone(c, frequency: 440, extra: ["-c:a", "libvorbis"])
        let reader = TagReader()
        let uids = Set(try [a, b, c].map { try reader.probe(RawPath($0)).uid })
        #expect(uids.count == 3)
    }

    @Test("Leading digital silence makes the reader look further, until the audio differs")
    func silenceRule() {
        // Given two streams that open with 100 KiB of identical silent packets and then differ
        let silent = [UInt8](repeating: 0, count: 1024)
        func uid(tail: UInt8) -> (TrackUID, Int) {
            var accumulator = AudioIdentity.Accumulator(codec: "pcm_s16le", sampleRate: 44100, channels: 2, declaredSamples: nil)
            for _ in 0..<100 { accumulator.add(silent) }
            accumulator.add([UInt8](repeating: tail, count: 1024))
            accumulator.add([UInt8](repeating: 9, count: 1024))
            return (accumulator.finish(), accumulator.byteCount)
        }
        let (first, firstBytes) = uid(tail: 1)
        let (second, _) = uid(tail: 2)
        // Then the first differing packet is hashed (past the 64 KiB budget), and nothing after it
        #expect(first != second)
        #expect(firstBytes == 101 * 1024)

        // Given varied audio, the reader stops at the 64 KiB budget
        var varied = AudioIdentity.Accumulator(codec: "flac", sampleRate: 44100, channels: 2, declaredSamples: 1)
        var index: UInt8 = 0
        while varied.add([UInt8](repeating: index, count: 1000)) { index &+= 1 }
        #expect(varied.byteCount <= AudioIdentity.budgetBytes && varied.packetCount >= AudioIdentity.minimumPackets)

        // Given big packets, at least 8 are hashed
        var big = AudioIdentity.Accumulator(codec: "flac", sampleRate: 44100, channels: 2, declaredSamples: 1)
        index = 0
        while big.add([UInt8](repeating: index, count: 20_000)) { index &+= 1 }
        #expect(big.packetCount == 8)
    }
}
