import Analysis
import Foundation
import TestSupport

/// The synthetic pieces the analysis tests share, rendered and analysed once per test process
/// (on a thread of their own: `OffPool`), in 20-second clips to keep the run short.
enum SyntheticSet {
    struct Piece: Sendable {
        var name: String
        var music: SyntheticMusic
        /// The expected key's standard name; nil for none expected.
        var key: String?
    }

    static let pieces: [Piece] = [
        Piece(name: "120 BPM, A minor, straight", music: SyntheticMusic(bpm: 120, tonic: 9, minor: true, seconds: 20, seed: 1), key: "A minor"),
        Piece(name: "128.5 BPM, C major", music: SyntheticMusic(bpm: 128.5, tonic: 0, minor: false, seconds: 20, seed: 2), key: "C major"),
        Piece(name: "93.7 BPM, F♯ minor, swung eighths", music: SyntheticMusic(bpm: 93.7, tonic: 6, minor: true, seconds: 20, swing: 2.0 / 3, seed: 3), key: "F♯ minor"),
        Piece(name: "140 BPM in half time, E♭ major", music: SyntheticMusic(bpm: 140, tonic: 3, minor: false, seconds: 20, halfTime: true, seed: 4), key: "E♭ major"),
        Piece(name: "101 BPM, B♭ major, tuned 30 cents sharp", music: SyntheticMusic(bpm: 101, tonic: 10, minor: false, seconds: 20, detuneCents: 30, seed: 5), key: "B♭ major"),
        Piece(name: "172.4 BPM, D minor", music: SyntheticMusic(bpm: 172.4, tonic: 2, minor: true, seconds: 20, seed: 6), key: "D minor"),
        Piece(name: "drumless pads, G major", music: SyntheticMusic(tonic: 7, minor: false, seconds: 20, drums: false, seed: 7), key: "G major"),
        // Instruments with a strong 5th harmonic (an F♯ over every D): read D major until the key
        // templates counted harmonics (bench/analysis set-07).
        Piece(name: "128 BPM, D minor, strong 5th harmonics", music: SyntheticMusic(bpm: 128, tonic: 2, minor: true, seconds: 20, family: 1, seed: 8), key: "D minor"),
    ]

    /// The analyses of `pieces`, in the same order, computed once off the cooperative pool
    /// (`OffPool` says why).
    static let analysesOnce = OffPool("synthetic-set") {
        pieces.map { TrackAnalyzer.analyze($0.music.render(), sampleRate: $0.music.sampleRate, channels: 2) }
    }
    static var analyses: [TrackAnalysis] { get async { await analysesOnce.value } }

    /// `bpm` doubled or halved into 78–156, as the tests compare tempi "after octave folding".
    static func folded(_ bpm: Double) -> Double {
        var b = bpm
        while b < 78 { b *= 2 }
        while b > 156 { b /= 2 }
        return b
    }
}

/// Writes and reads audio files through the ffmpeg command line (the tests' own tool; the
/// product decodes with MediaIO).
enum AudioFiles {
    static func writeWAV(_ samples: [Float], sampleRate: Int, channels: Int, to path: String) throws {
        try FloatWAV.write(samples, sampleRate: sampleRate, channels: channels, to: path)
    }

    /// Decodes any file ffmpeg reads to interleaved Float32 stereo at `sampleRate`.
    static func decode(_ path: String, sampleRate: Int = 44100, channels: Int = 2) throws -> [Float] {
        let raw = path + ".f32"
        try Shell.ffmpeg(["-i", path, "-f", "f32le", "-ac", "\(channels)", "-ar", "\(sampleRate)", raw])
        let data = try Data(contentsOf: URL(fileURLWithPath: raw))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
