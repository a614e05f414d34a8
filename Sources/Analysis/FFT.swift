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
    // Each stage's twiddles e^{-2πik/length}, k < length/2, contiguous (stage with half-length h
    // at offset h − 1), so the butterflies' inner loop reads memory in order and vectorises.
    private let twiddleRe: [Float]
    private let twiddleIm: [Float]
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
        var tr: [Float] = [], ti: [Float] = []
        var length = 2
        while length <= size / 2 {
            let step = (size / 2) / length
            for k in 0..<(length / 2) {
                // The same angle expression as a table indexed k·step, so the values are exact
                // to the bit whatever the stage.
                let angle = -2 * Double.pi * Double(k * step) / Double(size / 2)
                tr.append(Float(cos(angle)))
                ti.append(Float(sin(angle)))
            }
            length *= 2
        }
        twiddleRe = tr
        twiddleIm = ti
        untangleCos = (0..<half).map { Float(cos(-2 * Double.pi * Double($0) / Double(size))) }
        untangleSin = (0..<half).map { Float(sin(-2 * Double.pi * Double($0) / Double(size))) }
        re = [Float](repeating: 0, count: size / 2)
        im = [Float](repeating: 0, count: size / 2)
    }

    /// Writes the magnitudes |X[k]|, k = 0...size/2, of `input` (exactly `size` samples) into
    /// `magnitudes` (size/2 + 1 values).
    func magnitudes(_ input: UnsafeBufferPointer<Float>, into magnitudes: UnsafeMutableBufferPointer<Float>) {
        precondition(input.count == size && magnitudes.count == half + 1)
        let half = self.half
        re.withUnsafeMutableBufferPointer { reBuffer in
            im.withUnsafeMutableBufferPointer { imBuffer in
                bitReverse.withUnsafeBufferPointer { reverse in
                    twiddleRe.withUnsafeBufferPointer { twr in
                        twiddleIm.withUnsafeBufferPointer { twi in
                            let re = reBuffer.baseAddress!, im = imBuffer.baseAddress!
                            let x = input.baseAddress!
                            for i in 0..<half {
                                let j = reverse[i]
                                re[j] = x[2 * i]
                                im[j] = x[2 * i + 1]
                            }
                            // Iterative radix-2 butterflies over the N/2 complex values.
                            var h = 1
                            while h < half {
                                let length = 2 * h
                                let wr = twr.baseAddress! + (h - 1), wi = twi.baseAddress! + (h - 1)
                                var start = 0
                                while start < half {
                                    let ar = re + start, ai = im + start
                                    let br = ar + h, bi = ai + h
                                    // Eight butterflies at once from the stage with h = 8 on (the
                                    // same operations per lane as the scalar loop below).
                                    var k0 = 0
                                    while k0 + 8 <= h {
                                        let xr0 = load8(br + k0), xi0 = load8(bi + k0)
                                        let twr = load8(wr + k0), twi = load8(wi + k0)
                                        let xr = xr0 * twr - xi0 * twi
                                        let xi = xr0 * twi + xi0 * twr
                                        let a0 = load8(ar + k0), a1 = load8(ai + k0)
                                        store8(a0 - xr, br + k0)
                                        store8(a1 - xi, bi + k0)
                                        store8(a0 + xr, ar + k0)
                                        store8(a1 + xi, ai + k0)
                                        k0 += 8
                                    }
                                    for k in k0..<h {
                                        let xr = br[k] * wr[k] - bi[k] * wi[k]
                                        let xi = br[k] * wi[k] + bi[k] * wr[k]
                                        br[k] = ar[k] - xr
                                        bi[k] = ai[k] - xi
                                        ar[k] += xr
                                        ai[k] += xi
                                    }
                                    start += length
                                }
                                h = length
                            }
                        }
                    }
                }
            }
        }
        re.withUnsafeBufferPointer { re in
            im.withUnsafeBufferPointer { im in
                untangleCos.withUnsafeBufferPointer { uc in
                    untangleSin.withUnsafeBufferPointer { us in
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
                            let wr = uc[k], wi = us[k]
                            let xr = er + or * wr - oi * wi
                            let xi = ei + or * wi + oi * wr
                            magnitudes[k] = (xr * xr + xi * xi).squareRoot()
                        }
                    }
                }
            }
        }
    }
}

/// Eight floats from `p` (any alignment).
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

/// Stores eight floats at `p` (any alignment).
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self) }

/// The largest |x| of `count` floats from `p`.
@inline(__always)
func maxMagnitude(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var m: Float = 0
    for i in 0..<count { m = max(m, abs(p[i])) }
    return m
}

/// A periodic Hann window of `size` points.
func hannWindow(_ size: Int) -> [Float] {
    (0..<size).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(size))) }
}
