import CChromaprint

/// A Chromaprint (AcoustID) fingerprint, computed from the first `limitSeconds` of the audio
/// as `fpcalc` does (120 s by default), so ours compare with AcoustID's and with each other.
///
/// libchromaprint resamples to 11,025 Hz and downmixes itself; it is fed the decoded samples at
/// their own rate and channel count. Not `Sendable`: the C context is used from one thread.
final class Fingerprinter {
    private var context: OpaquePointer?
    private let channels: Int
    private var framesLeft: Int
    private var scratch: [Int16] = []
    private var failed = false

    init(sampleRate: Double, channels: Int, limitSeconds: Double = 120) {
        self.channels = channels
        framesLeft = Int(sampleRate * limitSeconds)
        context = chromaprint_new(Int32(CHROMAPRINT_ALGORITHM_DEFAULT.rawValue))
        if let context, chromaprint_start(context, Int32(sampleRate.rounded()), Int32(channels)) != 1 {
            failed = true
        }
    }

    deinit { if let context { chromaprint_free(context) } }

    /// Feeds interleaved float samples (clipped to 16 bits, which is what Chromaprint reads).
    func process(_ samples: UnsafeBufferPointer<Float>) {
        guard let context, !failed, framesLeft > 0 else { return }
        let frames = min(samples.count / channels, framesLeft)
        framesLeft -= frames
        let count = frames * channels
        if scratch.count < count { scratch = [Int16](repeating: 0, count: count) }
        scratch.withUnsafeMutableBufferPointer { out in
            // Clamp, then round half away from zero by truncating x ± 0.5 (a vectorised
            // conversion; `rounded()` is a libm call per sample).
            for i in 0..<count {
                let x = max(-32768, min(32767, samples[i] * 32768))
                out[i] = Int16(x + (x < 0 ? -0.5 : 0.5))
            }
        }
        let ok = scratch.withUnsafeBufferPointer { chromaprint_feed(context, $0.baseAddress, Int32(count)) }
        if ok != 1 { failed = true }
    }

    /// The compressed, base64 fingerprint (AcoustID's form) and the raw 32-bit sub-fingerprints
    /// (what duplicate matching compares); nil when too little audio was heard or the C calls
    /// failed.
    func finish() -> (encoded: String, raw: [UInt32])? {
        guard let context, !failed, chromaprint_finish(context) == 1 else { return nil }
        var text: UnsafeMutablePointer<CChar>?
        guard chromaprint_get_fingerprint(context, &text) == 1, let text else { return nil }
        let encoded = String(cString: text)
        chromaprint_dealloc(text)
        var raw: UnsafeMutablePointer<UInt32>?
        var size: Int32 = 0
        guard chromaprint_get_raw_fingerprint(context, &raw, &size) == 1, let raw else { return nil }
        let values = Array(UnsafeBufferPointer(start: raw, count: Int(size)))
        chromaprint_dealloc(raw)
        guard !values.isEmpty else { return nil }
        return (encoded, values)
    }
}

/// Compares raw Chromaprint fingerprints: the same recording in another format, bitrate or with
/// a trimmed start gives mostly equal bits at some alignment; different music gives about half.
public enum FingerprintMatch {
    /// Chromaprint's raw items come every 4,096/3 samples at 11,025 Hz: about 0.124 s.
    public static let itemSeconds = 4096.0 / 3 / 11025

    /// The best fraction (0...1) of equal bits between `a` and `b` over their overlap, trying
    /// every alignment up to `maxOffsetSeconds` either way; the overlap must cover at least
    /// `minimumOverlap` items (about 10 s), else 0.
    public static func similarity(_ a: [UInt32], _ b: [UInt32], maxOffsetSeconds: Double = 15, minimumOverlap: Int = 80) -> Double {
        let maxOffset = Int(maxOffsetSeconds / itemSeconds)
        var best = 0.0
        for offset in -maxOffset...maxOffset {
            // a[i] is compared with b[i + offset].
            let start = max(0, -offset), end = min(a.count, b.count - offset)
            guard end - start >= minimumOverlap else { continue }
            var differing = 0
            for i in start..<end { differing += (a[i] ^ b[i + offset]).nonzeroBitCount }
            let score = 1 - Double(differing) / Double((end - start) * 32)
            best = max(best, score)
        }
        return best
    }
}
