import Foundation

/// Cuts a mono stream into overlapping windowed frames and hands each frame's magnitude spectrum
/// to a consumer, without keeping the whole track in memory.
///
/// Not `Sendable`: one per analysis, on one thread.
final class FrameStream {
    let frameSize: Int
    let hop: Int
    private let window: [Float]
    private let fft: RealFFT
    private var buffer: [Float] = []
    private var frame: [Float]
    private var spectrum: [Float]
    /// Frames produced so far.
    private(set) var frameCount = 0
    private let consume: (UnsafeBufferPointer<Float>) -> Void

    /// - Parameter consume: called with the magnitudes of each frame (frameSize/2 + 1 bins).
    init(frameSize: Int, hop: Int, consume: @escaping (UnsafeBufferPointer<Float>) -> Void) {
        self.frameSize = frameSize
        self.hop = hop
        window = hannWindow(frameSize)
        fft = RealFFT(size: frameSize)
        frame = [Float](repeating: 0, count: frameSize)
        spectrum = [Float](repeating: 0, count: frameSize / 2 + 1)
        self.consume = consume
        // Half a frame of silence first, so the first frame is centred on sample 0.
        buffer = [Float](repeating: 0, count: frameSize / 2)
    }

    /// Appends samples and emits every frame they complete.
    func append(_ samples: UnsafeBufferPointer<Float>) {
        buffer.append(contentsOf: samples)
        var start = 0
        while buffer.count - start >= frameSize {
            emit(from: start)
            start += hop
        }
        if start > 0 { buffer.removeFirst(start) }
    }

    /// Pads the end with silence so the last samples are analysed too.
    func finish() {
        let padding = [Float](repeating: 0, count: frameSize / 2)
        padding.withUnsafeBufferPointer { append($0) }
    }

    private func emit(from start: Int) {
        buffer.withUnsafeBufferPointer { input in
            window.withUnsafeBufferPointer { w in
                frame.withUnsafeMutableBufferPointer { out in
                    for i in 0..<frameSize { out[i] = input[start + i] * w[i] }
                }
            }
        }
        frame.withUnsafeBufferPointer { input in
            spectrum.withUnsafeMutableBufferPointer { fft.magnitudes(input, into: $0) }
        }
        spectrum.withUnsafeBufferPointer { consume($0) }
        frameCount += 1
    }
}

/// Turns the input (any rate, any channel count) into the mono stream at about 22 kHz that tempo,
/// key and timbre are measured on: channels averaged, then decimated by 2 or 4 through a
/// half-band-style windowed-sinc low-pass (what is above 5 kHz matters little to these analyses,
/// and half the rate halves their cost).
struct MonoDecimator {
    let factor: Int
    let outputRate: Double
    private let taps: [Float]
    /// The previous block's last taps − 1 mono samples, then the current block's.
    private var scratch: [Float]
    /// Input samples since the last output, modulo the factor.
    private var phase = 0
    /// `scratch` split by index modulo the factor (scratch space).
    private var parts: [Float] = []

    init(inputRate: Double) {
        factor = inputRate >= 88200 ? 4 : (inputRate >= 32000 ? 2 : 1)
        outputRate = inputRate / Double(factor)
        let count = 16 * factor + 1
        let cutoff = 0.45 / Double(factor)  // of the input rate
        let center = Double(count - 1) / 2
        var h = (0..<count).map { n -> Double in
            let t = Double(n) - center
            let sinc = t == 0 ? 2 * cutoff : sin(2 * Double.pi * cutoff * t) / (Double.pi * t)
            let w = 0.42 - 0.5 * cos(2 * Double.pi * Double(n) / Double(count - 1))
                + 0.08 * cos(4 * Double.pi * Double(n) / Double(count - 1))
            return sinc * w
        }
        let sum = h.reduce(0, +)
        h = h.map { $0 / sum }
        taps = h.map(Float.init)
        scratch = [Float](repeating: 0, count: count - 1)
    }

    /// Downmixes and decimates interleaved `samples`, appending the output to `out`.
    ///
    /// The block is downmixed into `scratch` after the previous block's last taps − 1 samples,
    /// so each output is one dot product over contiguous memory (which the compiler vectorises).
    mutating func process(_ samples: UnsafeBufferPointer<Float>, channels: Int, into out: inout [Float]) {
        let frames = samples.count / channels
        guard frames > 0, let input = samples.baseAddress else { return }
        let n = taps.count
        let keep = n - 1
        // `scratch` holds exactly the kept samples here; room for the block after them.
        scratch.append(contentsOf: repeatElement(0, count: frames))
        let scale = 1 / Float(channels)
        scratch.withUnsafeMutableBufferPointer { m in
            let mono = m.baseAddress! + keep
            if channels == 2 {
                for f in 0..<frames { mono[f] = (input[2 * f] + input[2 * f + 1]) * scale }
            } else {
                for f in 0..<frames {
                    var x: Float = 0
                    for c in 0..<channels { x += input[f * channels + c] }
                    mono[f] = x * scale
                }
            }
        }
        if factor == 1 {
            out.append(contentsOf: scratch[keep...])
        } else {
            // Block sample i completes an output when (phase + i + 1) is a multiple of the factor;
            // its window is scratch[i ..< i + n] (the n samples ending at it).
            let first = (factor - 1 - phase % factor + factor) % factor
            let count = first < frames ? (frames - 1 - first) / factor + 1 : 0
            let base = out.count
            out.append(contentsOf: repeatElement(0, count: count))
            // Output j reads scratch[first + j·factor + k], k < n. Split scratch by index modulo
            // the factor: for a fixed k those samples are consecutive in one part, so the taps go
            // in the outer loop and the inner loop is a multiply-add over consecutive outputs
            // (vectorised; each output's sum keeps the order k = 0, 1, ...).
            let total = scratch.count
            let partLength = (total + factor - 1) / factor
            if parts.count < factor * partLength { parts = [Float](repeating: 0, count: factor * partLength) }
            scratch.withUnsafeBufferPointer { x in
                parts.withUnsafeMutableBufferPointer { part in
                    for i in 0..<total { part[(i % factor) * partLength + i / factor] = x[i] }
                }
            }
            parts.withUnsafeBufferPointer { part in
                taps.withUnsafeBufferPointer { h in
                    out.withUnsafeMutableBufferPointer { o in
                        let output = o.baseAddress! + base
                        for k in 0..<n {
                            let index = first + k
                            let source = part.baseAddress! + (index % factor) * partLength + index / factor
                            let coefficient = h[k]
                            var j = 0
                            while j + 8 <= count {
                                store8(load8(output + j) + coefficient * load8(source + j), output + j)
                                j += 8
                            }
                            while j < count { output[j] += coefficient * source[j]; j += 1 }
                        }
                    }
                }
            }
            phase = (phase + frames) % factor
        }
        // The last taps − 1 samples stay for the next block.
        scratch.removeFirst(frames)
    }
}
