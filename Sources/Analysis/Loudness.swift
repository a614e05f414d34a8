import Foundation

/// What EBU R128 (ITU-R BS.1770-4, EBU Tech 3341 and 3342) says about one track.
public struct LoudnessResult: Sendable, Equatable, Codable {
    /// Integrated (gated) loudness in LUFS; nil when no block passed the −70 LUFS absolute gate
    /// (silence, or shorter than one 400 ms block).
    public var integratedLUFS: Double?
    /// Loudness range in LU (EBU Tech 3342); nil when fewer than two 3 s windows passed the gates.
    public var rangeLU: Double?
    /// True peak in dBTP (4× oversampled below 96 kHz, 2× below 192 kHz); nil for silence.
    public var truePeakDBTP: Double?
    /// Sample peak in dBFS; nil for silence.
    public var samplePeakDBFS: Double?
    /// The mean-square energies of the 400 ms gating blocks above the absolute gate, kept so an
    /// album's loudness can be measured from its tracks' pooled blocks (`albumLoudness`).
    public var gatingBlocks: [Float]

    /// ReplayGain 2.0 track gain in dB: the change that brings the integrated loudness to −18 LUFS.
    public var replayGainDB: Double? { integratedLUFS.map { LoudnessMeter.replayGainReference - $0 } }
}

/// An EBU R128 loudness meter over a stream of interleaved Float32 samples.
///
/// K-weighting (BS.1770's two biquads, coefficients derived for the actual sample rate, so 44.1
/// kHz is measured as exactly as 48 kHz), 400 ms blocks every 100 ms for integrated loudness
/// (−70 LUFS absolute gate, −10 LU relative gate), 3 s windows every 100 ms for loudness range
/// (−70 LUFS absolute, −20 LU relative, 10th to 95th percentile), and a true peak from a 48-tap
/// polyphase interpolator.
///
/// Channel weights follow BS.1770: 1.0 for front channels, 1.41 for surround, 0 for LFE; for 6
/// channels the order is FFmpeg's 5.1 (L R C LFE Ls Rs).
///
/// Not `Sendable`: feed it from one thread.
public final class LoudnessMeter {
    /// ReplayGain 2.0's reference loudness.
    public static let replayGainReference = -18.0

    let sampleRate: Double
    let channels: Int
    private let weights: [Double]
    private var filters: [KWeighting]
    // Sums of squared K-weighted samples over the current 100 ms sub-block, per channel.
    private var subSum: [Double]
    private var subCount = 0
    private var subIndex = 0
    private var subBoundary: Int
    private var samplesSeen = 0
    /// Weighted mean-square energy of each complete 100 ms sub-block.
    private var subBlocks: [Double] = []
    private var truePeak: TruePeakMeter
    private var samplePeak: Float = 0

    /// Creates a meter for `channels` interleaved channels at `sampleRate` Hz.
    public init(sampleRate: Double, channels: Int) {
        precondition(sampleRate > 0 && channels > 0)
        self.sampleRate = sampleRate
        self.channels = channels
        weights = (0..<channels).map { c in
            guard channels == 6 || channels == 5 else { return 1 }
            if channels == 6 && c == 3 { return 0 }  // LFE
            return c >= channels - 2 ? 1.41 : 1
        }
        filters = Array(repeating: KWeighting(sampleRate: sampleRate), count: channels)
        subSum = Array(repeating: 0, count: channels)
        subBoundary = Int((sampleRate / 10).rounded())
        truePeak = TruePeakMeter(sampleRate: sampleRate, channels: channels)
    }

    /// Feeds interleaved samples (a whole number of frames).
    public func process(_ samples: UnsafeBufferPointer<Float>) {
        let frames = samples.count / channels
        guard frames > 0, let base = samples.baseAddress else { return }
        // Channel by channel up to each 100 ms boundary, the filter state and sums in locals: the
        // per-sample loop then touches no class property (no exclusivity checks, no bounds checks).
        var peak = samplePeak
        var start = 0
        while start < frames {
            let n = min(frames - start, subBoundary - samplesSeen)
            if channels == 2 {
                // Both channels in one loop: two independent filter chains the CPU overlaps.
                var left = filters[0], right = filters[1]
                var sumL = 0.0, sumR = 0.0
                var p = base + start * 2
                for _ in 0..<n {
                    let xl = p[0], xr = p[1]
                    peak = max(peak, max(abs(xl), abs(xr)))
                    let yl = left.process(Double(xl))
                    let yr = right.process(Double(xr))
                    sumL += yl * yl
                    sumR += yr * yr
                    p += 2
                }
                filters[0] = left
                filters[1] = right
                subSum[0] += sumL
                subSum[1] += sumR
            } else {
                for c in 0..<channels {
                    var filter = filters[c]
                    var sum = 0.0
                    var p = base + start * channels + c
                    for _ in 0..<n {
                        let x = p.pointee
                        peak = max(peak, abs(x))
                        let y = filter.process(Double(x))
                        sum += y * y
                        p += channels
                    }
                    filters[c] = filter
                    subSum[c] += sum
                }
            }
            start += n
            subCount += n
            samplesSeen += n
            if samplesSeen == subBoundary { closeSubBlock() }
        }
        samplePeak = peak
        truePeak.process(samples)
    }

    private func closeSubBlock() {
        var z = 0.0
        for c in 0..<channels { z += weights[c] * subSum[c]; subSum[c] = 0 }
        subBlocks.append(z / Double(max(subCount, 1)))
        subCount = 0
        subIndex += 1
        // Boundaries rounded from the exact 100 ms grid, so rates like 11,025 Hz stay on time.
        subBoundary = Int((Double(subIndex + 1) * sampleRate / 10).rounded())
    }

    /// The measurement so far (the last incomplete 100 ms is not counted).
    public func result() -> LoudnessResult {
        let blocks = Self.windows(subBlocks, length: 4)
        let gated = blocks.filter { Self.lufs($0) > -70 }
        let st = Self.windows(subBlocks, length: 30).filter { Self.lufs($0) > -70 }
        var range: Double?
        if st.count >= 2 {
            let relative = Self.lufs(st.reduce(0, +) / Double(st.count)) - 20
            let kept = st.map(Self.lufs).filter { $0 > relative }.sorted()
            if kept.count >= 2 {
                // The percentile rule libebur128 and ffmpeg use: index (n−1)·p, rounded.
                let lo = kept[Int((Double(kept.count - 1) * 0.10).rounded())]
                let hi = kept[Int((Double(kept.count - 1) * 0.95).rounded())]
                range = hi - lo
            }
        }
        let tp = truePeak.peak
        return LoudnessResult(
            integratedLUFS: Self.integrated(gated),
            rangeLU: range,
            truePeakDBTP: tp > 0 ? 20 * log10(Double(tp)) : nil,
            samplePeakDBFS: samplePeak > 0 ? 20 * log10(Double(samplePeak)) : nil,
            gatingBlocks: gated.map { Float($0) })
    }

    /// The integrated loudness of an album: its tracks' gating blocks pooled and gated again,
    /// as BS.1770 measures a programme made of several items (ReplayGain 2.0 album gain).
    public static func albumLoudness(_ tracks: [LoudnessResult]) -> Double? {
        integrated(tracks.flatMap { $0.gatingBlocks.map(Double.init) })
    }

    /// Gated integrated loudness of blocks already above the absolute gate.
    static func integrated(_ gated: [Double]) -> Double? {
        guard !gated.isEmpty else { return nil }
        let relative = lufs(gated.reduce(0, +) / Double(gated.count)) - 10
        let kept = gated.filter { lufs($0) > relative }
        guard !kept.isEmpty else { return nil }
        return lufs(kept.reduce(0, +) / Double(kept.count))
    }

    /// Means of `length` consecutive sub-blocks, one per sub-block step (75 % overlap for 4).
    static func windows(_ sub: [Double], length: Int) -> [Double] {
        guard sub.count >= length else { return [] }
        var out: [Double] = []
        out.reserveCapacity(sub.count - length + 1)
        var sum = sub[0..<length].reduce(0, +)
        out.append(sum / Double(length))
        for i in length..<sub.count {
            sum += sub[i] - sub[i - length]
            out.append(max(sum, 0) / Double(length))
        }
        return out
    }

    static func lufs(_ energy: Double) -> Double { energy > 0 ? -0.691 + 10 * log10(energy) : -.infinity }
}

/// BS.1770's K-weighting: a high-shelf (the head) then a high-pass (RLB), in Double precision.
///
/// Coefficients from the analog prototypes' parameters (as libebur128 derives them), bilinear
/// transformed at the given rate; at 48 kHz they equal the standard's table.
struct KWeighting {
    private var b: (Double, Double, Double, Double, Double)  // combined 4th-order numerator
    private var a: (Double, Double, Double, Double, Double)
    private var z = (0.0, 0.0, 0.0, 0.0)

    init(sampleRate fs: Double) {
        var f0 = 1681.974450955533
        let g = 3.999843853973347
        var q = 0.7071752369554196
        var k = tan(Double.pi * f0 / fs)
        let vh = pow(10, g / 20)
        let vb = pow(vh, 0.4996667741545416)
        var a0 = 1 + k / q + k * k
        let pb = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
        let pa = [1, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
        f0 = 38.13547087602444
        q = 0.5003270373238773
        k = tan(Double.pi * f0 / fs)
        a0 = 1 + k / q + k * k
        let rb = [1.0, -2, 1]
        let ra = [1, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
        // Convolve the two second-order sections into one fourth-order filter.
        func conv(_ x: [Double], _ y: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: 5)
            for i in 0..<3 { for j in 0..<3 { out[i + j] += x[i] * y[j] } }
            return out
        }
        let bb = conv(pb, rb), aa = conv(pa, ra)
        b = (bb[0], bb[1], bb[2], bb[3], bb[4])
        a = (aa[0], aa[1], aa[2], aa[3], aa[4])
    }

    /// One sample through the filter (transposed direct form II).
    @inline(__always)
    mutating func process(_ x: Double) -> Double {
        let y = b.0 * x + z.0
        z.0 = b.1 * x - a.1 * y + z.1
        z.1 = b.2 * x - a.2 * y + z.2
        z.2 = b.3 * x - a.3 * y + z.3
        z.3 = b.4 * x - a.4 * y
        // Denormals in a long silence would cost more than the filter itself.
        if abs(z.0) < 1e-30 { z = (0, 0, 0, 0) }
        return y
    }
}

/// The true peak: the largest absolute value of the signal oversampled by a windowed-sinc
/// polyphase interpolator (BS.1770-4 Annex 2 asks for at least 4× at 48 kHz).
struct TruePeakMeter {
    private let factor: Int
    private let taps: Int
    private let phases: [[Float]]
    private let gainBound: Float
    private var history: [[Float]]
    private var position = 0
    private var tailMax: Float = 0
    private var lane: [Float] = []
    private(set) var peak: Float = 0

    init(sampleRate: Double, channels: Int) {
        factor = sampleRate < 96000 ? 4 : (sampleRate < 192000 ? 2 : 1)
        let taps = 12, factor = factor
        self.taps = taps
        let total = factor * taps
        // Kaiser-windowed sinc low-pass at the original Nyquist frequency.
        let beta = 7.0
        func bessel0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0
            for k in 1..<30 { term *= (x / (2 * Double(k))) * (x / (2 * Double(k))); sum += term }
            return sum
        }
        let center = Double(total - 1) / 2
        var h = [Double](repeating: 0, count: total)
        for n in 0..<total {
            let t = (Double(n) - center) / Double(factor)
            let sinc = t == 0 ? 1 : sin(Double.pi * t) / (Double.pi * t)
            let r = (Double(n) - center) / center
            h[n] = sinc * bessel0(beta * (1 - r * r).squareRoot()) / bessel0(beta)
        }
        phases = (0..<factor).map { p in (0..<taps).map { Float(h[p + $0 * factor]) } }
        gainBound = max(1, phases.map { $0.reduce(0) { $0 + abs($1) } }.max() ?? 1)
        history = Array(repeating: Array(repeating: 0, count: 2 * taps), count: channels)
    }

    mutating func process(_ samples: UnsafeBufferPointer<Float>) {
        let channels = history.count
        let frames = samples.count / channels
        guard frames > 0, let base = samples.baseAddress else { return }
        // The interpolated values cannot exceed the largest sample in the filter's reach times
        // the filter's largest absolute tap sum. A block whose samples (and the previous block's
        // last `taps`) stay below the peak already found by that bound cannot raise it: keep its
        // last samples for the filter's history and skip the 48 multiplications per sample
        // (most of a track, once its loud part has been seen).
        let blockMax = maxMagnitude(base, count: frames * channels)
        if factor > 1 && max(blockMax, tailMax) * gainBound <= peak {
            let from = max(0, frames - taps)
            for f in from..<frames { push(base + f * channels, channels: channels) }
            tailMax = tailMaximum(base, frames: frames, channels: channels)
            return
        }
        if factor == 1 {
            peak = max(peak, blockMax)
            return
        }
        // Per channel: the last taps − 1 samples and the block, contiguous; in chunks of 256
        // samples, skip a chunk the bound rules out, else run each phase's filter with the taps
        // as the outer loop (a multiply-add across consecutive outputs, which vectorises; the
        // sum per output keeps the order k = 0, 1, ... of a direct dot product).
        let keep = taps - 1
        for c in 0..<channels {
            lane.removeAll(keepingCapacity: true)
            for k in 1...keep { lane.append(history[c][position + k + 1]) }
            for f in 0..<frames { lane.append(base[f * channels + c]) }
            lane.withUnsafeBufferPointer { x in
                var chunkStart = 0
                while chunkStart < frames {
                    let count = min(256, frames - chunkStart)
                    // Outputs at block samples chunkStart..<chunkStart+count read lane[chunkStart ..< chunkStart + count + keep].
                    let chunkMax = maxMagnitude(x.baseAddress! + chunkStart, count: count + keep)
                    if chunkMax * gainBound > peak {
                        for p in 0..<factor {
                            phases[p].withUnsafeBufferPointer { h in
                                // Eight outputs at a time; each lane's sum runs k = 0, 1, ...
                                var m: Float = 0
                                var i = 0
                                let origin = x.baseAddress! + chunkStart + keep
                                while i + 8 <= count {
                                    var acc = SIMD8<Float>(repeating: 0)
                                    for k in 0..<taps { acc += h[k] * load8(origin + i - k) }
                                    for lane in 0..<8 { m = max(m, abs(acc[lane])) }
                                    i += 8
                                }
                                while i < count {
                                    var acc: Float = 0
                                    for k in 0..<taps { acc += h[k] * origin[i - k] }
                                    m = max(m, abs(acc))
                                    i += 1
                                }
                                peak = max(peak, m)
                            }
                        }
                        for i in (chunkStart + keep)..<(chunkStart + keep + count) { peak = max(peak, abs(x[i])) }
                    }
                    chunkStart += count
                }
            }
        }
        let from = max(0, frames - taps)
        for f in from..<frames { push(base + f * channels, channels: channels) }
        tailMax = tailMaximum(base, frames: frames, channels: channels)
    }

    /// Writes one frame into every channel's ring; afterwards the newest `taps` samples of
    /// channel c are `history[c][position + 1 ..< position + 1 + taps]`, oldest first.
    private mutating func push(_ frame: UnsafePointer<Float>, channels: Int) {
        position = (position + 1) % taps
        for c in 0..<channels {
            history[c][position] = frame[c]
            history[c][position + taps] = frame[c]
        }
    }

    private func tailMaximum(_ base: UnsafePointer<Float>, frames: Int, channels: Int) -> Float {
        var m: Float = 0
        for i in (max(0, frames - taps) * channels)..<(frames * channels) { m = max(m, abs(base[i])) }
        return m
    }
}
