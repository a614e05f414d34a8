import Analysis
import Foundation
import Testing
import TestSupport

@Suite("Chromaprint fingerprints recognise one recording across formats")
struct FingerprintTests {
    @Test("The same piece as FLAC, MP3 128k, Opus 64k and trimmed by 2 s matches itself; different pieces do not")
    func sameAndDifferent() async throws {
        // Given one piece written four ways, and two other pieces
        let piece = SyntheticSet.pieces[1]
        let dir = try TemporaryDirectory("analysis-fingerprint")
        let wav = dir.appending("piece.wav")
        let versions: [(String, [String])] = [
            ("flac", ["-c:a", "flac"]),
            ("mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
            ("opus", ["-c:a", "libopus", "-b:a", "64k"]),
            ("trimmed.flac", ["-ss", "2", "-c:a", "flac"]),
        ]
        // (Rendered, encoded and analysed off the cooperative pool: OffPool says why.)
        let analyses = try await onOwnThread {
            try AudioFiles.writeWAV(piece.music.render(), sampleRate: 44100, channels: 2, to: wav)
            return try versions.map { name, codec in
                let path = dir.appending("piece.\(name)")
                try Shell.ffmpeg(["-i", wav] + codec + [path])
                return (name, TrackAnalyzer.analyze(try AudioFiles.decode(path), sampleRate: 44100, channels: 2))
            }
        }
        var prints: [String: [UInt32]] = [:]
        for (name, analysis) in analyses {
            #expect(analysis.fingerprint?.isEmpty == false, "\(name): no fingerprint")
            prints[name] = analysis.rawFingerprint
        }
        // When they are compared with the FLAC
        let reference = try #require(prints["flac"])
        for (name, raw) in prints where name != "flac" {
            // Then every copy matches it
            let similarity = FingerprintMatch.similarity(reference, raw)
            #expect(similarity > 0.85, "\(name): \(similarity)")
        }
        // And different pieces (another key and tempo; the same tempo in another key) do not
        for other in [await SyntheticSet.analyses[0], await SyntheticSet.analyses[3]] {
            let similarity = FingerprintMatch.similarity(reference, other.rawFingerprint)
            #expect(similarity < 0.7, "different piece: \(similarity)")
        }
    }
}
