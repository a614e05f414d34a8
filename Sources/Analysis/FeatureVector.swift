import Foundation

/// Per-frame timbre and onset measurements from the 1,024-point spectra (46 ms frames every
/// 11.6 ms at 22,050 Hz), reduced to track statistics at the end.
///
/// Timbre is MFCC-like: the power spectrum through 40 triangular mel bands (40 Hz–10 kHz),
/// log10 of each band's energy, a DCT-II; coefficients 1–12 (the 0th is loudness, measured
/// elsewhere) describe the spectral envelope — what an instrument sounds like — independently of
/// level, and their means and standard deviations over the track are the vector's timbre part.
///
/// Not `Sendable`: one per analysis, on one thread.
final class TimbreAccumulator {
    /// The number of mel bands and of cepstral coefficients kept (1...12).
    static let melBands = 40
    static let coefficients = 12
    /// How many coefficients' standard deviations the vector keeps (the higher ones varied as
    /// much between pieces of one style as between styles, in development on the generated
    /// families of `SimilarityTests`).
    static let deviationCoefficients = 4

    /// Onset strength per frame (spectral flux of the log-compressed magnitudes).
    private(set) var onset: [Float] = []
    private let fluxBins: Range<Int>
    private let brightBin: Int
    private let binHz: Double
    private var previous: [Float]
    private var current: [Float]
    /// Each mel band's first bin, and its triangular weights: band b's are
    /// `melWeights[melOffsets[b] ..< melOffsets[b + 1]]`.
    private let melStart: [Int]
    private let melOffsets: [Int]
    private let melWeights: [Float]
    /// DCT-II basis, `coefficients` rows of `melBands`, row after row.
    private let dct: [Float]
    private var melLog: [Float]
    private var cepstrumSum = [Double](repeating: 0, count: TimbreAccumulator.coefficients)
    private var cepstrumSquares = [Double](repeating: 0, count: TimbreAccumulator.coefficients)
    private var centroidSum = 0.0, flatnessSum = 0.0
    private var voicedFrames = 0
    private var totalEnergy = 0.0, brightEnergy = 0.0

    init(sampleRate: Double, frameSize: Int) {
        binHz = sampleRate / Double(frameSize)
        let bins = frameSize / 2 + 1
        let hz = binHz
        func bin(_ f: Double) -> Int { min(bins - 1, max(1, Int((f / hz).rounded()))) }
        fluxBins = 1..<bin(8000)
        brightBin = bin(1500)
        previous = [Float](repeating: 0, count: bins)
        current = [Float](repeating: 0, count: bins)
        // Mel scale (O'Shaughnessy): m = 2595·log10(1 + f/700).
        func mel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
        func hzOf(_ m: Double) -> Double { 700 * (pow(10, m / 2595) - 1) }
        let bands = Self.melBands
        let top = min(10000, sampleRate / 2 * 0.95)
        let edges = (0...(bands + 1)).map { hzOf(mel(40) + (mel(top) - mel(40)) * Double($0) / Double(bands + 1)) }
        var starts: [Int] = [], weights: [[Float]] = []
        for b in 0..<bands {
            let lo = edges[b], mid = edges[b + 1], hi = edges[b + 2]
            let first = max(1, Int((lo / hz).rounded(.up))), last = min(bins - 1, Int((hi / hz).rounded(.down)))
            var w: [Float] = []
            if first <= last {
                for k in first...last {
                    let f = Double(k) * hz
                    w.append(Float(f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid)))
                }
            }
            // A band narrower than a bin (low bands at this resolution) takes its nearest bin.
            if w.allSatisfy({ $0 <= 0 }) { starts.append(bin(mid)); weights.append([1]) } else { starts.append(first); weights.append(w) }
        }
        melStart = starts
        melOffsets = weights.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        melWeights = weights.flatMap { $0 }
        dct = (1...Self.coefficients).flatMap { c in
            (0..<bands).map { b in Float(cos(Double.pi * Double(c) * (Double(b) + 0.5) / Double(bands)) * (2 / Double(bands)).squareRoot()) }
        }
        melLog = [Float](repeating: 0, count: bands)
    }

    func add(_ magnitudes: UnsafeBufferPointer<Float>) {
        let mags = magnitudes.baseAddress!
        // Log compression makes a soft hi-hat count beside a loud kick (γ = 1 on magnitudes
        // where a full-scale sine reads about 256).
        var flux: Float = 0
        current.withUnsafeMutableBufferPointer { cur in
            for k in fluxBins { cur[k] = fastLog1p(mags[k]) }
            previous.withUnsafeBufferPointer { prev in
                for k in fluxBins { flux += max(0, cur[k] - prev[k]) }
            }
        }
        swap(&previous, &current)
        onset.append(flux)

        var energy: Float = 0, weighted: Float = 0, bright: Float = 0
        let count = magnitudes.count
        for k in 1..<count {
            let p = mags[k] * mags[k]
            energy += p
            weighted += p * Float(k)
            if k >= brightBin { bright += p }
        }
        totalEnergy += Double(energy)
        brightEnergy += Double(bright)
        guard energy > 1e-6 else { return }
        voicedFrames += 1
        centroidSum += Double(weighted / energy) * binHz
        // Mel band energies; flatness (geometric / arithmetic mean) over the bands.
        var logSum: Float = 0, linearSum: Float = 0
        melLog.withUnsafeMutableBufferPointer { melLog in
            melWeights.withUnsafeBufferPointer { weights in
                for b in 0..<Self.melBands {
                    var e: Float = 0
                    let start = melStart[b]
                    for i in melOffsets[b]..<melOffsets[b + 1] {
                        let m = mags[start + i - melOffsets[b]]
                        e += weights[i] * m * m
                    }
                    let l = log10(e + 1e-6)
                    melLog[b] = l
                    logSum += l
                    linearSum += e
                }
            }
            let geometric = pow(10, Double(logSum) / Double(Self.melBands))
            flatnessSum += min(1, geometric / (Double(linearSum) / Double(Self.melBands) + 1e-12))
            dct.withUnsafeBufferPointer { dct in
                for c in 0..<Self.coefficients {
                    var s: Float = 0
                    for b in 0..<Self.melBands { s += dct[c * Self.melBands + b] * melLog[b] }
                    cepstrumSum[c] += Double(s)
                    cepstrumSquares[c] += Double(s) * Double(s)
                }
            }
        }
    }

    struct Summary {
        /// Means of the cepstral coefficients 1...12.
        var cepstrumMean: [Double]
        /// The standard deviations over frames of coefficients 1...4 (how much the timbre moves).
        var cepstrumDeviation: [Double]
        var centroidHz: Double
        var flatness: Double
        var onsetRate: Double
        var brightness: Double
    }

    func summary(durationSeconds: Double) -> Summary {
        let n = Double(max(voicedFrames, 1))
        let mean = cepstrumSum.map { $0 / n }
        let deviation = (0..<Self.deviationCoefficients).map { max(0, cepstrumSquares[$0] / n - mean[$0] * mean[$0]).squareRoot() }
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
            cepstrumMean: mean, cepstrumDeviation: deviation, centroidHz: centroidSum / n, flatness: flatnessSum / n,
            onsetRate: durationSeconds > 0 ? Double(peaks) / durationSeconds : 0,
            brightness: totalEnergy > 0 ? brightEnergy / totalEnergy : 0)
    }
}

/// ln(1 + x) for x ≥ 0 to within 2·10⁻⁵, in a few multiply-adds and one division (libm's
/// `log1pf` was a tenth of the analysis time): the exponent of 1 + x, and 2·atanh((m − 1)/(m + 1))
/// for its mantissa m in [1, 2) by four terms of its series (the first omitted term is below
/// 2·(1/3)⁹/9 = 1.1·10⁻⁵).
@inline(__always)
func fastLog1p(_ x: Float) -> Float {
    let y = 1 + x
    let bits = y.bitPattern
    let exponent = Float(Int32(bitPattern: bits >> 23) - 127)
    let m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
    let t = (m - 1) / (m + 1)
    let t2 = t * t
    let lnm = 2 * t * (1 + t2 * (1 / 3 + t2 * (1 / 5 + t2 * (1 / 7))))
    return exponent * 0.693_147_18 + lnm
}

/// The similarity feature vector and the descriptors (Sources/Analysis/README.md defines each
/// value). The vector is raw; `SimilarityIndex` normalises each dimension across the library.
public enum FeatureVector {
    /// What each position of the vector holds.
    public static let names: [String] =
        (1...12).map { "mfcc\($0)Mean" } + (1...4).map { "mfcc\($0)Deviation" }
        + ["centroidKHz", "flatness"]
        + ["onsetRate", "tempoCos", "tempoSin", "pulseClarity"]
        + ["loudnessLufs", "loudnessRangeLu"]
        + ["modeMajor", "chromaEntropy"]

    /// The groups of dimensions, in order: similarity weighs each group as a whole.
    public static let groups: [(name: String, range: Range<Int>)] = [
        ("timbre", 0..<18), ("rhythm", 18..<22), ("loudness", 22..<24), ("tonal", 24..<26),
    ]

    /// The default weight of each group for similarity (Sources/Analysis/README.md says why).
    public static let defaultGroupWeights: [String: Double] = ["timbre": 0.3, "rhythm": 0.4, "loudness": 0.1, "tonal": 0.2]

    /// Each dimension's weight: its group's weight shared equally by the group's dimensions,
    /// the whole normalised to sum to 1. Dimensions beyond the known groups weigh 0.
    public static func dimensionWeights(_ groupWeights: [String: Double], count: Int) -> [Double] {
        var w = [Double](repeating: 0, count: count)
        for group in groups {
            let share = max(0, groupWeights[group.name] ?? 0) / Double(group.range.count)
            for d in group.range where d < count { w[d] = share }
        }
        let total = w.reduce(0, +)
        return total > 0 ? w.map { $0 / total } : w
    }

    static func make(timbre: TimbreAccumulator.Summary, tempo: TempoResult, key: KeyResult?, chroma: [Double], loudness: LoudnessResult) -> [Double] {
        var v = timbre.cepstrumMean + timbre.cepstrumDeviation
        v.append(timbre.centroidHz / 1000)
        v.append(timbre.flatness)
        v.append(timbre.onsetRate)
        // Where the tempo sits in its octave, as an angle: 80 and 160 BPM (one octave apart) are
        // the same point, 80 and 113 opposite; no steady tempo sits at the centre.
        let angle = tempo.bpm.map { 2 * Double.pi * log2($0 / 78) } ?? 0
        let radius = tempo.bpm == nil ? 0.0 : 1.0
        v.append(radius * cos(angle))
        v.append(radius * sin(angle))
        v.append(tempo.confidence)
        v.append(loudness.integratedLUFS ?? -70)
        v.append(loudness.rangeLU ?? 0)
        v.append(key.map { $0.key.mode == .major ? $0.confidence : -$0.confidence } ?? 0)
        // How many pitch classes the music spreads over, in bits: 0 for one note, log2(12) ≈ 3.58
        // for all twelve equally (a diatonic piece sits near 3.1, noise at the top).
        let total = chroma.reduce(0, +)
        v.append(total > 0 ? -chroma.reduce(0.0) { $0 + ($1 > 0 ? $1 / total * log2($1 / total) : 0) } : 0)
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
