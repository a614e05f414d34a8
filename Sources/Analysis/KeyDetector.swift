import Foundation

/// A track's key as measured.
public struct KeyResult: Sendable, Equatable, Codable {
    /// The best-matching key.
    public var key: MusicalKey
    /// The correlation of the track's pitch-class profile with the key's template, 0...1.
    public var confidence: Double
    /// How far the track's tuning is from A = 440 Hz, in cents (−50..<50).
    public var tuningCents: Double
}

/// Key from spectral peaks: every frame's peaks between 55 Hz and 2 kHz, located to a fraction of
/// a bin, go into a pitch-class histogram of 1,200 one-cent bins. The histogram's circular mean
/// within a semitone is the tuning; folded into 12 classes around the tuned centres it is the
/// track's chroma, which is correlated with the 24 rotations of a major and a minor template.
///
/// Not `Sendable`: one per analysis, on one thread.
final class KeyDetector {
    private let sampleRate: Double
    private let frameSize: Int
    private var histogram = [Double](repeating: 0, count: 1200)
    private let lowBin: Int
    private let highBin: Int

    // Temperley's (Kostka–Payne) templates: decision 0027 compares them with Krumhansl–Kessler
    // on the synthetic set.
    static let majorProfile: [Double] = [0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400]
    static let minorProfile: [Double] = [0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330]

    /// The profiles as a spectrum sees them: each scale degree's weight also lands on the pitch
    /// classes of its harmonics 2–5 (the octave, a twelfth, two octaves, two octaves and a major
    /// third) with amplitude 0.55^(h−1), as Gómez's tonal profiles do (E. Gómez, "Tonal
    /// description of music audio signals", 2006). Without them a D minor piece whose
    /// instruments have a strong 5th harmonic (an F♯ over every D) read D major. Decays from 0.5
    /// to 0.6 name all 22 pieces of the synthetic sets (bench and tests); 0.55 is the middle
    /// (decision 0032).
    static let harmonicDecay = 0.55
    static let majorTemplate = harmonicTemplate(majorProfile)
    static let minorTemplate = harmonicTemplate(minorProfile)

    static func harmonicTemplate(_ profile: [Double]) -> [Double] {
        var t = [Double](repeating: 0, count: 12)
        for degree in 0..<12 {
            for h in 1...5 {
                let offset = Int((12 * log2(Double(h))).rounded()) % 12
                t[(degree + offset) % 12] += profile[degree] * pow(harmonicDecay, Double(h - 1))
            }
        }
        return t
    }

    init(sampleRate: Double, frameSize: Int) {
        self.sampleRate = sampleRate
        self.frameSize = frameSize
        lowBin = max(2, Int(55 * Double(frameSize) / sampleRate))
        highBin = min(frameSize / 2 - 2, Int(2000 * Double(frameSize) / sampleRate))
    }

    /// Adds one frame's magnitude spectrum.
    func add(_ magnitudes: UnsafeBufferPointer<Float>) {
        var frameMax: Float = 0
        for k in lowBin...highBin where magnitudes[k] > frameMax { frameMax = magnitudes[k] }
        guard frameMax > 1e-4 else { return }
        let floor = frameMax * 0.02
        for k in lowBin...highBin {
            let b = magnitudes[k]
            guard b > floor, b > magnitudes[k - 1], b >= magnitudes[k + 1] else { continue }
            // Parabolic interpolation on the log magnitude locates the peak within the bin.
            let a = log(Double(magnitudes[k - 1]) + 1e-9), bb = log(Double(b) + 1e-9), c = log(Double(magnitudes[k + 1]) + 1e-9)
            let d = a - 2 * bb + c
            let delta = d != 0 ? max(-0.5, min(0.5, 0.5 * (a - c) / d)) : 0
            let frequency = (Double(k) + delta) * sampleRate / Double(frameSize)
            let midi = 69 + 12 * log2(frequency / 440)
            var cents = Int((midi * 100).rounded()) % 1200
            if cents < 0 { cents += 1200 }
            histogram[cents] += Double(b / frameMax)
        }
    }

    /// The tuning and the key; nil when nothing tonal was heard.
    func result() -> KeyResult? {
        let total = histogram.reduce(0, +)
        guard total > 0 else { return nil }
        var s = 0.0, c = 0.0
        for (i, w) in histogram.enumerated() {
            let angle = 2 * Double.pi * Double(i % 100) / 100
            s += w * sin(angle)
            c += w * cos(angle)
        }
        let tuning = atan2(s, c) * 100 / (2 * Double.pi)
        var chroma = [Double](repeating: 0, count: 12)
        for (i, w) in histogram.enumerated() where w > 0 {
            // The semitone whose tuned centre is nearest (C = 0 at `tuning` cents).
            let semitone = Int(((Double(i) - tuning) / 100).rounded())
            chroma[((semitone % 12) + 12) % 12] += w
        }
        var best: (MusicalKey, Double)?
        for key in MusicalKey.all {
            let profile = key.mode == .major ? Self.majorTemplate : Self.minorTemplate
            let rotated = (0..<12).map { profile[(($0 - key.tonic) % 12 + 12) % 12] }
            let r = Self.correlation(chroma, rotated)
            if best == nil || r > best!.1 { best = (key, r) }
        }
        guard let (key, r) = best else { return nil }
        return KeyResult(key: key, confidence: (max(0, r) * 1000).rounded() / 1000, tuningCents: (tuning * 10).rounded() / 10)
    }

    /// The track's chroma (12 values summing to 1, C first), for the feature vector.
    func chroma() -> [Double] {
        let total = histogram.reduce(0, +)
        guard total > 0 else { return Array(repeating: 0, count: 12) }
        var chroma = [Double](repeating: 0, count: 12)
        for (i, w) in histogram.enumerated() { chroma[((i + 50) / 100) % 12] += w / total }
        return chroma
    }

    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / 12, my = y.reduce(0, +) / 12
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<12 {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}
