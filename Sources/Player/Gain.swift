import Foundation
import MediaIO
import OmniModel

/// ReplayGain modes: which tag the player applies.
public enum ReplayGainMode: String, Sendable, CaseIterable, Codable {
    case off, track, album
}

/// The gain applied to samples: software volume times ReplayGain.
///
/// Exactly 1 (volume 100 %, ReplayGain off or untagged) leaves the samples untouched: the
/// pipeline does not even look at them. Anything else runs in the float domain: integer samples
/// are scaled to [-1, 1), multiplied, clipped and converted back (rounded to nearest).
enum Gain {
    /// The linear factor for a track: `10^((gain + preAmp) / 20)`, limited so that the tagged
    /// peak does not exceed full scale (clipping prevention). 1 when the mode is off or the
    /// track has no gain for it (the album gain falls back to the track gain and back).
    static func replayGain(_ values: ReplayGain?, mode: ReplayGainMode, preAmpDB: Double) -> Double {
        guard mode != .off, let values else { return 1 }
        let gain: Double?
        let peak: Double?
        switch mode {
        case .off: return 1
        case .track:
            gain = values.trackGain ?? values.albumGain
            peak = values.trackGain != nil ? values.trackPeak : values.albumPeak
        case .album:
            gain = values.albumGain ?? values.trackGain
            peak = values.albumGain != nil ? values.albumPeak : values.trackPeak
        }
        guard let gain else { return 1 }
        var factor = pow(10, (gain + preAmpDB) / 20)
        if let peak, peak > 0, factor * peak > 1 { factor = 1 / peak }
        return factor
    }

    /// The linear factor of a volume percentage: 50 % halves the amplitude.
    static func volume(_ percent: Int) -> Double { Double(min(100, max(0, percent))) / 100 }

    /// Scales interleaved samples in place.
    static func apply(_ factor: Double, to bytes: UnsafeMutableRawBufferPointer, format: SampleFormat) {
        guard factor != 1, let base = bytes.baseAddress else { return }
        let f = Float(factor)
        switch format {
        case .float32:
            let samples = base.assumingMemoryBound(to: Float.self)
            for i in 0..<(bytes.count / 4) { samples[i] *= f }
        case .s16:
            let samples = base.assumingMemoryBound(to: Int16.self)
            for i in 0..<(bytes.count / 2) {
                let scaled = (Float(samples[i]) / 32768 * f * 32768).rounded()
                samples[i] = Int16(max(-32768, min(32767, scaled)))
            }
        case .s32:
            let samples = base.assumingMemoryBound(to: Int32.self)
            let d = Double(factor)
            for i in 0..<(bytes.count / 4) {
                // Double: a float's 24-bit mantissa would lose the low bits of 32-bit samples.
                let scaled = (Double(samples[i]) / 2147483648 * d * 2147483648).rounded()
                samples[i] = Int32(max(-2147483648, min(2147483647, scaled)))
            }
        }
    }
}
