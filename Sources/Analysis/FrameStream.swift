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
        for i in 0..<frameSize { frame[i] = buffer[start + i] * window[i] }
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
    private var history: [Float]
    private var phase = 0
    private var position = 0

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
        history = [Float](repeating: 0, count: 2 * count)
    }

    /// Downmixes and decimates interleaved `samples`, appending the output to `out`.
    mutating func process(_ samples: UnsafeBufferPointer<Float>, channels: Int, into out: inout [Float]) {
        let frames = samples.count / channels
        let n = taps.count
        let scale = 1 / Float(channels)
        for f in 0..<frames {
            var x: Float = 0
            for c in 0..<channels { x += samples[f * channels + c] }
            x *= scale
            if factor == 1 { out.append(x); continue }
            history[position] = x
            history[position + n] = x
            position = (position + 1) % n
            phase += 1
            if phase == factor {
                phase = 0
                var acc: Float = 0
                // The oldest sample is at `position`; taps are symmetric, so order does not matter.
                for k in 0..<n { acc += taps[k] * history[position + k] }
                out.append(acc)
            }
        }
    }
}

import Foundation
