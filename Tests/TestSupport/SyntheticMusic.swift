import Foundation

/// Music made by the tests, with a tempo and key known by construction: drums (kick, snare,
/// hi-hat on eighths, optionally swung or in half time), a bass on the chord roots, chords and a
/// melody from the key's scale, with an optional tuning offset. A drumless piece is slow pads whose
/// chords change at irregular times: music with no pulse.
///
/// Deterministic: the same parameters and seed give the same samples on every machine.
public struct SyntheticMusic: Sendable {
    public var bpm: Double = 120
    /// Tonic pitch class, 0 = C.
    public var tonic = 9
    public var minor = true
    public var seconds: Double = 30
    public var sampleRate: Double = 44100
    public var drums = true
    /// Where the off-beat eighth falls within the beat: 0.5 straight, 2/3 triplet swing.
    public var swing = 0.5
    /// Snare on beat 3 only, kick on 1: the half-time feel that invites a half-tempo reading.
    public var halfTime = false
    /// The whole piece tuned this far from A = 440 Hz.
    public var detuneCents = 0.0
    /// Timbre family: changes the instruments' harmonics and the drum sounds (similarity tests).
    public var family = 0
    public var seed: UInt64 = 1

    /// A piece; every parameter has a default (120 BPM, A minor, 30 s, 44.1 kHz, drums, straight).
    public init(bpm: Double = 120, tonic: Int = 9, minor: Bool = true, seconds: Double = 30, sampleRate: Double = 44100,
                drums: Bool = true, swing: Double = 0.5, halfTime: Bool = false, detuneCents: Double = 0,
                family: Int = 0, seed: UInt64 = 1) {
        self.bpm = bpm
        self.tonic = tonic
        self.minor = minor
        self.seconds = seconds
        self.sampleRate = sampleRate
        self.drums = drums
        self.swing = swing
        self.halfTime = halfTime
        self.detuneCents = detuneCents
        self.family = family
        self.seed = seed
    }

    /// The piece's key as standard notation would name it ("A minor", "E♭ major").
    public var keyName: String {
        let major = ["C", "D♭", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B"]
        let minorNames = ["C", "C♯", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B"]
        return minor ? minorNames[tonic % 12] + " minor" : major[tonic % 12] + " major"
    }

    /// Interleaved stereo Float32.
    public func render() -> [Float] {
        var rng = SplitMix(seed: seed &* 0x9E37_79B9 &+ UInt64(family))
        let frames = Int(seconds * sampleRate)
        var left = [Float](repeating: 0, count: frames)
        var right = [Float](repeating: 0, count: frames)
        let beat = 60 / bpm
        let majorScale = [0, 2, 4, 5, 7, 9, 11], minorScale = [0, 2, 3, 5, 7, 8, 10]
        let scale = minor ? minorScale : majorScale
        // i–iv–V–i in minor (V major: the leading tone says minor), I–IV–V–I in major;
        // triads as semitones above the tonic.
        let progression: [[Int]] = minor
            ? [[0, 3, 7], [5, 8, 12], [7, 11, 14], [0, 3, 7]]
            : [[0, 4, 7], [5, 9, 12], [7, 11, 14], [0, 4, 7]]
        func frequency(_ midi: Double) -> Double { 440 * pow(2, (midi - 69) / 12 + detuneCents / 1200) }
        let harmonics: [Double] = [[1, 0.5, 0.3, 0.2], [1, 0.15, 0.5, 0.1, 0.3], [1, 0.7, 0.5, 0.4, 0.3, 0.2]][family % 3]

        // One period of the instrument's waveform, read at any pitch (a wavetable: the tests
        // render minutes of music, and a sine per harmonic per sample is too slow for that).
        let tableSize = 4096
        let table: [Float] = (0..<tableSize).map { i in
            let x = 2 * Double.pi * Double(i) / Double(tableSize)
            return Float(harmonics.enumerated().reduce(0.0) { $0 + $1.element * sin(Double($1.offset + 1) * x) })
        }
        func addTone(_ midi: Double, at start: Double, length: Double, gain: Double, attack: Double, decay: Double, pan: Double) {
            let f = frequency(midi)
            let s0 = Int(start * sampleRate), n = Int(length * sampleRate)
            guard s0 < frames else { return }
            let gl = Float(gain * (1 - pan)), gr = Float(gain * pan)
            let increment = f / sampleRate * Double(tableSize)
            var phase = 0.0
            let decayStep = exp(-1 / (decay * sampleRate))
            var env = 1.0
            for i in 0..<min(n, frames - s0) {
                let t = Double(i) / sampleRate
                let shape = min(1, t / attack) * env * min(1, (length - t) / 0.02)
                env *= decayStep
                let index = Int(phase)
                let frac = Float(phase - Double(index))
                let x = table[index] + (table[(index + 1) & (tableSize - 1)] - table[index]) * frac
                phase += increment
                if phase >= Double(tableSize) { phase -= Double(tableSize) }
                let v = x * Float(shape)
                left[s0 + i] += v * gl
                right[s0 + i] += v * gr
            }
        }
        func addDrum(_ kind: Int, at start: Double, gain: Double) {
            let s0 = Int(start * sampleRate)
            let n = Int((kind == 0 ? 0.25 : kind == 1 ? 0.18 : 0.05) * sampleRate)
            var phase = 0.0, lowpassed = 0.0
            for i in 0..<min(n, max(0, frames - s0)) {
                let t = Double(i) / sampleRate
                var x: Double
                let noise = Double(rng.next() % 20000) / 10000 - 1
                switch kind {
                case 0:  // kick: a falling sine
                    phase += 2 * Double.pi * (50 + 100 * exp(-t / 0.03) + Double(family) * 5) / sampleRate
                    x = sin(phase) * exp(-t / 0.12)
                case 1:  // snare: noise and a 190 Hz body
                    x = (0.6 * noise + 0.5 * sin(2 * Double.pi * 190 * t)) * exp(-t / 0.05)
                default:  // hi-hat: noise minus its low-passed part
                    lowpassed += 0.2 * (noise - lowpassed)
                    x = (noise - lowpassed) * exp(-t / 0.012)
                }
                let v = Float(x * gain)
                left[s0 + i] += v
                right[s0 + i] += v
            }
        }

        if drums {
            let bars = Int(seconds / (4 * beat)) + 1
            for bar in 0..<bars {
                let t0 = Double(bar) * 4 * beat
                let chord = progression[bar % progression.count]
                for b in 0..<4 {
                    let t = t0 + Double(b) * beat
                    if halfTime {
                        if b == 0 { addDrum(0, at: t, gain: 0.9) }
                        if b == 2 { addDrum(1, at: t, gain: 0.6) }
                    } else {
                        if b == 0 || b == 2 { addDrum(0, at: t, gain: 0.9) }
                        if b == 1 || b == 3 { addDrum(1, at: t, gain: 0.6) }
                    }
                    addDrum(2, at: t, gain: 0.25)
                    addDrum(2, at: t + swing * beat, gain: 0.18)
                    // Bass on the root, every beat.
                    addTone(Double(36 + tonic + chord[0] % 12), at: t, length: beat * 0.9, gain: 0.35, attack: 0.005, decay: 0.4, pan: 0.5)
                    // Melody: eighth notes from the scale, mostly chord tones.
                    for e in 0..<2 {
                        let useChord = rng.next() % 3 != 0
                        let step = useChord ? chord[Int(rng.next() % 3)] : scale[Int(rng.next() % 7)]
                        let start = t + (e == 0 ? 0 : swing * beat)
                        addTone(Double(72 + tonic % 12 + step % 12), at: start, length: beat * 0.45, gain: 0.12, attack: 0.01, decay: 0.2, pan: 0.35)
                    }
                }
                // The chord, struck on beats 1 and 3.
                for half in 0..<2 {
                    for note in chord {
                        addTone(Double(60 + tonic + note), at: t0 + Double(half) * 2 * beat, length: 2 * beat, gain: 0.1, attack: 0.01, decay: 0.8, pan: 0.65)
                    }
                }
            }
        } else {
            // Pads that swell in and change at irregular times: harmony without a pulse.
            var t = 0.0, i = 0
            while t < seconds {
                let length = 2.3 + Double(rng.next() % 3000) / 1000
                let chord = progression[i % progression.count]
                for note in chord { addTone(Double(60 + tonic + note), at: t, length: length + 1.5, gain: 0.12, attack: 1.2, decay: 6, pan: 0.5) }
                addTone(Double(48 + tonic + chord[0] % 12), at: t, length: length + 1.5, gain: 0.15, attack: 1.5, decay: 6, pan: 0.5)
                t += length
                i += 1
            }
        }
        var out = [Float](repeating: 0, count: frames * 2)
        var peak: Float = 0
        for i in 0..<frames { peak = max(peak, abs(left[i]), abs(right[i])) }
        let normalise = peak > 0 ? 0.7 / peak : 1
        for i in 0..<frames {
            out[2 * i] = left[i] * normalise
            out[2 * i + 1] = right[i] * normalise
        }
        return out
    }
}

/// 32-bit float WAV files: how the tests and bench/analysis hand synthetic music to ffmpeg and
/// essentia.
public enum FloatWAV {
    /// Writes interleaved Float32 as a WAV file (IEEE float, little-endian).
    public static func write(_ samples: [Float], sampleRate: Int, channels: Int, to path: String) throws {
        var data = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        let bytes = UInt32(samples.count * 4)
        data.append(contentsOf: Array("RIFF".utf8)); u32(36 + bytes)
        data.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16); u16(3); u16(UInt16(channels))
        u32(UInt32(sampleRate)); u32(UInt32(sampleRate * channels * 4)); u16(UInt16(channels * 4)); u16(32)
        data.append(contentsOf: Array("data".utf8)); u32(bytes)
        samples.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Reads a file written by `write` (only that layout: a 44-byte header, float samples).
    public static func read(_ path: String) throws -> (samples: [Float], sampleRate: Int, channels: Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count >= 44 else { throw CocoaError(.fileReadCorruptFile) }
        func u16(_ at: Int) -> Int { Int(data[at]) | Int(data[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let channels = u16(22), rate = u32(24)
        let samples = data[44...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (samples, rate, channels)
    }
}
