import Foundation

/// A real-input FFT of a power-of-two size, in plain Swift (decision 0027: no FFT library to
/// package; at the sizes analysis uses, 1,024 and 8,192 points, this is a few microseconds to
/// some tens of microseconds per frame, small beside decoding).
///
/// The N real samples are packed as N/2 complex values, transformed by an iterative radix-2
/// complex FFT, and untangled into the N/2 + 1 bins of the real spectrum.
///
/// Not `Sendable`: it owns scratch buffers; one instance per thread.
final class RealFFT {
    /// The number of real input samples.
    let size: Int
    private let half: Int
    private let bitReverse: [Int]
    private let cosTable: [Float]  // half-size twiddles, e^{-2πik/half}
    private let sinTable: [Float]
    private let untangleCos: [Float]  // e^{-2πik/size}, k < half
    private let untangleSin: [Float]
    private var re: [Float]
    private var im: [Float]

    /// Creates a transform of `size` real samples (a power of two, at least 4).
    init(size: Int) {
        precondition(size >= 4 && size & (size - 1) == 0, "FFT size must be a power of two")
        self.size = size
        half = size / 2
        var bits = 0
        while 1 << bits < half { bits += 1 }
        bitReverse = (0..<half).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r
        }
        cosTable = (0..<half / 2).map { Float(cos(-2 * Double.pi * Double($0) / Double(size / 2))) }
        sinTable = (0..<half / 2).map { Float(sin(-2 * Double.pi * Double($0) / Double(size / 2))) }
        untangleCos = (0..<half).map { Float(cos(-2 * Double.pi * Double($0) / Double(size))) }
        untangleSin = (0..<half).map { Float(sin(-2 * Double.pi * Double($0) / Double(size))) }
        re = [Float](repeating: 0, count: size / 2)
        im = [Float](repeating: 0, count: size / 2)
    }

    /// Writes the magnitudes |X[k]|, k = 0...size/2, of `input` (exactly `size` samples) into
    /// `magnitudes` (size/2 + 1 values).
    func magnitudes(_ input: UnsafeBufferPointer<Float>, into magnitudes: UnsafeMutableBufferPointer<Float>) {
        precondition(input.count == size && magnitudes.count == half + 1)
        re.withUnsafeMutableBufferPointer { re in
            im.withUnsafeMutableBufferPointer { im in
                for i in 0..<half {
                    let j = bitReverse[i]
                    re[j] = input[2 * i]
                    im[j] = input[2 * i + 1]
                }
                // Iterative radix-2 butterflies over the N/2 complex values.
                var length = 2
                while length <= half {
                    let step = half / length
                    let h = length / 2
                    var start = 0
                    while start < half {
                        var t = 0
                        for k in 0..<h {
                            let wr = cosTable[t], wi = sinTable[t]
                            let a = start + k, b = a + h
                            let xr = re[b] * wr - im[b] * wi
                            let xi = re[b] * wi + im[b] * wr
                            re[b] = re[a] - xr
                            im[b] = im[a] - xi
                            re[a] += xr
                            im[a] += xi
                            t += step
                        }
                        start += length
                    }
                    length *= 2
                }
                // Untangle: X[k] = (Z[k] + conj Z[N/2-k])/2 + e^{-2πik/N} (Z[k] - conj Z[N/2-k])/(2i).
                magnitudes[0] = abs(re[0] + im[0])
                magnitudes[half] = abs(re[0] - im[0])
                for k in 1..<half {
                    let zr = re[k], zi = im[k]
                    let cr = re[half - k], ci = -im[half - k]
                    let er = (zr + cr) * 0.5, ei = (zi + ci) * 0.5
                    let dr = (zr - cr) * 0.5, di = (zi - ci) * 0.5
                    // (dr + i di) / i = di - i dr
                    let or = di, oi = -dr
                    let wr = untangleCos[k], wi = untangleSin[k]
                    let xr = er + or * wr - oi * wi
                    let xi = ei + or * wi + oi * wr
                    magnitudes[k] = (xr * xr + xi * xi).squareRoot()
                }
            }
        }
    }
}

/// A periodic Hann window of `size` points.
func hannWindow(_ size: Int) -> [Float] {
    (0..<size).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(size))) }
}
