import Analysis
import Foundation
import Testing
import TestSupport

@Suite("Tempo and key of synthetic music with known answers")
struct TempoAndKeyTests {
    @Test("Every piece with drums gets its tempo within 0.1 % after octave folding, with a beat grid", arguments: [0, 1, 2, 3, 4, 5, 7])
    func tempo(index: Int) async throws {
        // Given a piece made at a known tempo (straight, swung, half time, detuned, fast)
        let piece = SyntheticSet.pieces[index]
        // When it is analysed
        let tempo = await SyntheticSet.analyses[index].tempo
        // Then its tempo, folded into the default octave, is the one it was made at
        let bpm = try #require(tempo.bpm, "\(piece.name): no tempo found")
        let expected = SyntheticSet.folded(piece.music.bpm)
        #expect(abs(bpm - expected) / expected < 0.001, "\(piece.name): \(bpm) BPM, made at \(piece.music.bpm)")
        #expect((78...156).contains(bpm))
        #expect(tempo.confidence > 0.6)
        // And the grid's first beat lies within one beat of the start, on a drum hit (±20 ms)
        let first = try #require(tempo.firstBeatSeconds)
        let period = 60 / bpm
        #expect(first >= 0 && first < period)
        let phase = (first / (60 / piece.music.bpm)).truncatingRemainder(dividingBy: 1)
        #expect(min(phase, 1 - phase) * 60 / piece.music.bpm < 0.02, "\(piece.name): first beat \(first) s")
        // And the alternative is half or double
        let alternative = try #require(tempo.alternativeBPM)
        #expect(abs(alternative - bpm * 2) < 0.02 || abs(alternative - bpm / 2) < 0.02)
    }

    @Test("Music without a pulse has no steady tempo")
    func drumless() async {
        let index = SyntheticSet.pieces.firstIndex { !$0.music.drums }!
        let tempo = await SyntheticSet.analyses[index].tempo
        #expect(tempo.bpm == nil)
        #expect(tempo.firstBeatSeconds == nil)
        #expect(tempo.confidence < 0.35)
    }

    @Test("Every piece's key is found exactly, with its tuning", arguments: 0..<8)
    func key(index: Int) async throws {
        let piece = SyntheticSet.pieces[index]
        let key = try #require(await SyntheticSet.analyses[index].key)
        #expect(key.key.standardName == piece.key, "\(piece.name): found \(key.key)")
        #expect(abs(key.tuningCents - piece.music.detuneCents) < 5, "\(piece.name): tuning \(key.tuningCents)")
        #expect(key.confidence > 0.5)
    }

    @Test("MP3 128k and Opus 64k re-encodes keep the tempo within 0.1 % and the key", arguments: [
        ("mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
        ("opus", ["-c:a", "libopus", "-b:a", "64k"]),
    ])
    func lossy(format: String, codec: [String]) async throws {
        // Given the swung F♯ minor piece, encoded lossily and decoded again
        let piece = SyntheticSet.pieces[2]
        let dir = try TemporaryDirectory("analysis-lossy")
        let wav = dir.appending("piece.wav"), encoded = dir.appending("piece.\(format)")
        // When it is analysed (rendering, encoding and analysing off the cooperative pool: OffPool)
        let analysis = try await onOwnThread {
            try AudioFiles.writeWAV(piece.music.render(), sampleRate: 44100, channels: 2, to: wav)
            try Shell.ffmpeg(["-i", wav] + codec + [encoded])
            let samples = try AudioFiles.decode(encoded, sampleRate: format == "opus" ? 48000 : 44100)
            return TrackAnalyzer.analyze(samples, sampleRate: format == "opus" ? 48000 : 44100, channels: 2)
        }
        // Then the answers are those of the original
        let bpm = try #require(analysis.tempo.bpm)
        #expect(abs(bpm - piece.music.bpm) / piece.music.bpm < 0.001, "\(format): \(bpm)")
        #expect(analysis.key?.key.standardName == piece.key)
    }

    @Test("The octave range is configurable: a 172.4 BPM piece reads 172.4 in 100–200 and 86.2 by default")
    func octaveRange() async throws {
        let piece = SyntheticSet.pieces[5]
        let samples = piece.music.render()
        let wide = TrackAnalyzer.analyze(samples, sampleRate: 44100, channels: 2, options: AnalysisOptions(tempoRange: 100...200))
        #expect(abs(try #require(wide.tempo.bpm) - 172.4) < 0.172)
        #expect(abs(try #require(await SyntheticSet.analyses[5].tempo.bpm) - 86.2) < 0.0862)
    }
}
