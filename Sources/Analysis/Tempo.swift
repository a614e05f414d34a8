import Foundation

/// A track's tempo: a beat grid of constant period.
public struct TempoResult: Sendable, Equatable, Codable {
    /// Beats per minute to 0.01, folded into the octave range; nil when the music has no steady
    /// pulse ("no steady tempo").
    public var bpm: Double?
    /// How well a constant beat grid explains the onsets, 0...1.
    public var confidence: Double
    /// The first beat of the grid, in seconds from the start; nil with `bpm`.
    public var firstBeatSeconds: Double?
    /// Half or double `bpm`, whichever the onsets support better (the other metrical level a
    /// listener may tap); nil with `bpm`.
    public var alternativeBPM: Double?
}

/// Tempo from an onset-strength envelope: autocorrelation picks the period, a comb over its
/// multiples settles the metrical level, the octave range folds it, and a beat tracker that
/// follows the onsets beat by beat gives the beat times whose least-squares line is the grid
/// (period to a few hundredths of a BPM over a whole track, and the first beat).
enum TempoEstimator {
    /// The default octave range (a listener's preferred tapping rate; decision 0027).
    static let defaultRange: ClosedRange<Double> = 78...156
    /// Below this confidence there is no steady tempo.
    static let steadyThreshold = 0.35

    /// - Parameters:
    ///   - onset: onset strength per frame; frame n is centred at n / frameRate seconds.
    ///   - frameRate: frames per second.
    ///   - range: the octave range the answer is folded into.
    static func estimate(onset raw: [Float], frameRate: Double, range: ClosedRange<Double> = defaultRange) -> TempoResult {
        let none = TempoResult(bpm: nil, confidence: 0, firstBeatSeconds: nil, alternativeBPM: nil)
        let n = raw.count
        guard n > Int(frameRate * 6) else { return none }
        // Remove the slowly varying part (crescendos, sections), keep what sticks out.
        let o = Self.detrend(raw, width: Int(frameRate * 1.0))
        let mean = o.reduce(0, +) / Float(n)
        let centred = o.map { $0 - mean }
        let maxLag = min(n / 2, Int(frameRate * 60 / 40 * 4) + 2)
        var acf = [Double](repeating: 0, count: maxLag + 1)
        centred.withUnsafeBufferPointer { x in
            for lag in 0...maxLag {
                var s: Float = 0
                for i in 0..<(n - lag) { s += x[i] * x[i + lag] }
                acf[lag] = Double(s) / Double(n - lag)
            }
        }
        guard acf[0] > 0 else { return none }
        for i in acf.indices { acf[i] /= acf[0] }
        func acfAt(_ lag: Double) -> Double {
            let i = Int(lag)
            guard i + 1 < acf.count, i >= 0 else { return 0 }
            let f = lag - Double(i)
            return acf[i] * (1 - f) + acf[i + 1] * f
        }
        // Comb score of a tempo: periodicity at the beat and its first multiples (bars).
        func score(_ bpm: Double) -> Double {
            let lag = 60 * frameRate / bpm
            var s = 0.0
            for m in 1...4 { s += acfAt(lag * Double(m)) }
            return s / 4
        }
        var best = 0.0, bestBPM = 0.0
        var bpm = 50.0
        while bpm <= 240 {
            let s = score(bpm)
            if s > best { best = s; bestBPM = bpm }
            bpm += 0.25
        }
        guard best > 0 else { return none }
        // Refine the coarse peak by a finer local search.
        var fine = bestBPM
        var step = bestBPM - 0.25
        while step <= bestBPM + 0.25 {
            let s = score(step)
            if s > best { best = s; fine = step }
            step += 0.01
        }
        let folded = fold(fine, into: range)
        guard let grid = trackBeats(o, period: 60 * frameRate / folded) else { return none }
        let measuredBPM = 60 * frameRate / grid.period
        let finalBPM = fold(measuredBPM, into: range)
        let periodicity = min(1, max(0, score(finalBPM) * 2.5))
        let confidence = (grid.hitRatio * periodicity).squareRoot()
        guard confidence >= steadyThreshold else {
            return TempoResult(bpm: nil, confidence: confidence, firstBeatSeconds: nil, alternativeBPM: nil)
        }
        let period = 60 * frameRate / finalBPM
        var first = grid.phase.truncatingRemainder(dividingBy: period)
        if first < 0 { first += period }
        let alternative = score(finalBPM * 2) > score(finalBPM / 2) ? finalBPM * 2 : finalBPM / 2
        return TempoResult(
            bpm: (finalBPM * 100).rounded() / 100,
            confidence: (confidence * 1000).rounded() / 1000,
            firstBeatSeconds: first / frameRate,
            alternativeBPM: (alternative * 100).rounded() / 100)
    }

    /// Doubles or halves `bpm` into `range` (the nearest when the range is narrower than an octave).
    static func fold(_ bpm: Double, into range: ClosedRange<Double>) -> Double {
        guard bpm > 0 else { return bpm }
        var b = bpm
        while b < range.lowerBound { b *= 2 }
        while b > range.upperBound { b /= 2 }
        if b < range.lowerBound {
            // The range is narrower than an octave: the nearer of the two.
            return range.lowerBound - b <= b * 2 - range.upperBound ? b : b * 2
        }
        return b
    }

    struct Grid { var period: Double; var phase: Double; var hitRatio: Double }

    /// Follows the onsets beat by beat from the best-fitting phase, then fits a line through the
    /// beats that landed on an onset (outliers dropped and refitted).
    static func trackBeats(_ o: [Float], period: Double) -> Grid? {
        let n = o.count
        func at(_ x: Double) -> Double {
            let i = Int(x)
            guard i >= 0, i + 1 < n else { return 0 }
            let f = Float(x - Double(i))
            return Double(o[i] * (1 - f) + o[i + 1] * f)
        }
        // The phase whose grid collects the most onset strength.
        var bestPhase = 0.0, bestSum = -1.0
        var phase = 0.0
        while phase < period {
            var s = 0.0, t = phase
            while t < Double(n - 1) { s += at(t); t += period }
            if s > bestSum { bestSum = s; bestPhase = phase }
            phase += 0.25
        }
        // A peak counts as a beat when it stands above most of the envelope.
        let sorted = o.sorted()
        let threshold = Double(sorted[Int(Double(sorted.count - 1) * 0.75)])
        let window = period * 0.12
        var beats: [(index: Double, time: Double)] = []
        var expected = bestPhase
        var k = 0.0
        var localPeriod = period
        var predicted = 0
        while expected < Double(n - 2) {
            predicted += 1
            let lo = max(1, Int((expected - window).rounded(.up)))
            let hi = min(n - 2, Int((expected + window).rounded(.down)))
            var peakIndex = -1
            var peakValue: Float = 0
            if lo <= hi {
                for i in lo...hi where o[i] > peakValue && o[i] >= o[i - 1] && o[i] >= o[i + 1] {
                    peakValue = o[i]; peakIndex = i
                }
            }
            if peakIndex > 0, Double(peakValue) > threshold {
                let a = Double(o[peakIndex - 1]), b = Double(o[peakIndex]), c = Double(o[peakIndex + 1])
                let d = a - 2 * b + c
                let delta = d != 0 ? max(-0.5, min(0.5, 0.5 * (a - c) / d)) : 0
                let t = Double(peakIndex) + delta
                beats.append((k, t))
                // Follow slow drift between the coarse period and the true one.
                if beats.count >= 8 {
                    let recent = beats.suffix(8)
                    let span = recent.last!.index - recent.first!.index
                    if span > 0 { localPeriod = (recent.last!.time - recent.first!.time) / span }
                }
                expected = t + localPeriod
            } else {
                expected += localPeriod
            }
            k += 1
        }
        guard beats.count >= 8 else { return nil }
        var points = beats
        var fit = lineFit(points)
        for _ in 0..<3 {
            let tolerance = max(0.6, fit.slope * 0.04)
            let kept = points.filter { abs($0.time - (fit.intercept + fit.slope * $0.index)) <= tolerance }
            guard kept.count >= 8 else { break }
            points = kept
            fit = lineFit(points)
        }
        return Grid(period: fit.slope, phase: fit.intercept, hitRatio: Double(points.count) / Double(max(predicted, 1)))
    }

    static func lineFit(_ p: [(index: Double, time: Double)]) -> (slope: Double, intercept: Double) {
        let m = Double(p.count)
        let sx = p.reduce(0) { $0 + $1.index }, sy = p.reduce(0) { $0 + $1.time }
        let sxx = p.reduce(0) { $0 + $1.index * $1.index }, sxy = p.reduce(0) { $0 + $1.index * $1.time }
        let den = m * sxx - sx * sx
        guard den != 0 else { return (0, sy / m) }
        let slope = (m * sxy - sx * sy) / den
        return (slope, (sy - slope * sx) / m)
    }

    /// `x` minus its moving average over `width` frames, negative values cut to zero.
    static func detrend(_ x: [Float], width: Int) -> [Float] {
        let n = x.count
        let w = max(1, width / 2)
        var prefix = [Double](repeating: 0, count: n + 1)
        for i in 0..<n { prefix[i + 1] = prefix[i] + Double(x[i]) }
        return (0..<n).map { i in
            let lo = max(0, i - w), hi = min(n, i + w + 1)
            let avg = (prefix[hi] - prefix[lo]) / Double(hi - lo)
            return max(0, x[i] - Float(avg))
        }
    }
}
