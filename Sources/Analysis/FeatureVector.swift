import Foundation

/// Per-frame timbre and onset measurements from the 1,024-point spectra (46 ms frames every
/// 11.6 ms at 22,050 Hz), reduced to track statistics at the end.
///
/// Not `Sendable`: one per analysis, on one thread.
final class TimbreAccumulator {
    /// Band edges in Hz for the band-energy features (octaves from 50 Hz, the last to 11 kHz).
    static let bandEdges: [Double] = [50, 100, 200, 400, 800, 1600, 3200, 6400, 11000]

    /// Onset strength per frame (spectral flux of the log-compressed magnitudes).
    private(set) var onset: [Float] = []
    private let bandBins: [Range<Int>]
    private let fluxBins: Range<Int>
    private let brightBin: Int
    private let binHz: Double
    private var previous: [Float]
    private var current: [Float]
    private var bandSum = [Double](repeating: 0, count: 8)
    private var bandSquares = [Double](repeating: 0, count: 8)
    private var centroidSum = 0.0, flatnessSum = 0.0
    private var voicedFrames = 0
    private var totalEnergy = 0.0, brightEnergy = 0.0

    init(sampleRate: Double, frameSize: Int) {
        binHz = sampleRate / Double(frameSize)
        let bins = frameSize / 2 + 1
        let hz = binHz
        func bin(_ f: Double) -> Int { min(bins - 1, max(1, Int((f / hz).rounded()))) }
        bandBins = (0..<8).map { bin(Self.bandEdges[$0])..<max(bin(Self.bandEdges[$0]) + 1, bin(Self.bandEdges[$0 + 1])) }
        fluxBins = 1..<bin(8000)
        brightBin = bin(1500)
        previous = [Float](repeating: 0, count: bins)
        current = [Float](repeating: 0, count: bins)
    }

    func add(_ magnitudes: UnsafeBufferPointer<Float>) {
        // Log compression makes a soft hi-hat count beside a loud kick (γ = 1 on magnitudes
        // where a full-scale sine reads about 256).
        var flux: Float = 0
        for k in fluxBins {
            let v = log1p(magnitudes[k])
            current[k] = v
            let d = v - previous[k]
            if d > 0 { flux += d }
        }
        swap(&previous, &current)
        onset.append(flux)

        var energy = 0.0, weighted = 0.0, logSum = 0.0, bright = 0.0
        let count = magnitudes.count
        for k in 1..<count {
            let p = Double(magnitudes[k]) * Double(magnitudes[k])
            energy += p
            weighted += p * Double(k)
            logSum += log(p + 1e-12)
            if k >= brightBin { bright += p }
        }
        totalEnergy += energy
        brightEnergy += bright
        guard energy > 1e-6 else { return }
        voicedFrames += 1
        centroidSum += weighted / energy * binHz
        let geometric = exp(logSum / Double(count - 1))
        flatnessSum += geometric / (energy / Double(count - 1))
        for (b, range) in bandBins.enumerated() {
            var e = 0.0
            for k in range { e += Double(magnitudes[k]) * Double(magnitudes[k]) }
            let l = log10(e / energy + 1e-9)
            bandSum[b] += l
            bandSquares[b] += l * l
        }
    }

    struct Summary {
        var bandMean: [Double]
        var bandDeviation: [Double]
        var centroidHz: Double
        var flatness: Double
        var onsetRate: Double
        var brightness: Double
    }

    func summary(durationSeconds: Double) -> Summary {
        let n = Double(max(voicedFrames, 1))
        let mean = bandSum.map { $0 / n }
        let deviation = (0..<8).map { max(0, bandSquares[$0] / n - mean[$0] * mean[$0]).squareRoot() }
        // Onsets: peaks of the detrended flux above its 90th percentile, at least 50 ms apart.
        let d = TempoEstimator.detrend(onset, width: 86)
        let threshold = d.isEmpty ? 0 : d.sorted()[Int(Double(d.count - 1) * 0.9)]
        var peaks = 0
        var last = -100
        if d.count > 2 {
            for i in 1..<(d.count - 1) where d[i] > threshold && d[i] > 0 && d[i] >= d[i - 1] && d[i] > d[i + 1] && i - last >= 4 {
                peaks += 1
                last = i
            }
        }
        return Summary(
            bandMean: mean, bandDeviation: deviation, centroidHz: centroidSum / n, flatness: flatnessSum / n,
            onsetRate: durationSeconds > 0 ? Double(peaks) / durationSeconds : 0,
            brightness: totalEnergy > 0 ? brightEnergy / totalEnergy : 0)
    }
}

/// The similarity feature vector and the descriptors (Sources/Analysis/README.md defines each
/// value). The vector is raw; comparing tracks needs each dimension normalised across the library.
public enum FeatureVector {
    /// What each position of the vector holds.
    public static let names: [String] =
        (0..<8).map { "band\($0)Mean" } + (0..<8).map { "band\($0)Deviation" }
        + ["centroidKHz", "flatness", "onsetRate", "tempoOctave", "tempoConfidence", "loudnessLufs", "loudnessRangeLu", "modeMajor"]
        + (0..<12).map { "chromaFromTonic\($0)" }

    static func make(timbre: TimbreAccumulator.Summary, tempo: TempoResult, key: KeyResult?, chroma: [Double], loudness: LoudnessResult) -> [Double] {
        var v = timbre.bandMean + timbre.bandDeviation
        v.append(timbre.centroidHz / 1000)
        v.append(timbre.flatness)
        v.append(timbre.onsetRate)
        // Position within the tempo octave (log scale), so 80 and 150 are far and 100/200 the same.
        v.append(tempo.bpm.map { log2($0 / 78).truncatingRemainder(dividingBy: 1) } ?? 0)
        v.append(tempo.confidence)
        v.append(loudness.integratedLUFS ?? -70)
        v.append(loudness.rangeLU ?? 0)
        v.append(key.map { $0.key.mode == .major ? $0.confidence : -$0.confidence } ?? 0)
        let tonic = key?.key.tonic ?? 0
        v += (0..<12).map { chroma[($0 + tonic) % 12] }
        return v.map { $0.isFinite ? $0 : 0 }
    }

    static func descriptors(timbre: TimbreAccumulator.Summary, tempo: TempoResult, loudness: LoudnessResult) -> Descriptors {
        func clamp(_ x: Double) -> Double { min(1, max(0, x)) }
        let lufs = loudness.integratedLUFS ?? -70
        let energy = (clamp((lufs + 35) / 30) + clamp(timbre.onsetRate / 6) + clamp(timbre.centroidHz / 3000)) / 3
        let dance: Double
        if let bpm = tempo.bpm {
            dance = tempo.confidence * exp(-pow((bpm - 120) / 45, 2))
        } else {
            dance = 0
        }
        let electronic = 0.5 * (tempo.bpm == nil ? 0 : tempo.confidence) + 0.5 * clamp((12 - (loudness.rangeLU ?? 12)) / 12)
        func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
        return Descriptors(energy: round3(energy), danceability: round3(dance), electronic: round3(electronic), brightness: round3(timbre.brightness))
    }
}
