import Analysis
import Foundation
import Testing
import TestSupport

/// EBU Tech 3341 (loudness) and Tech 3342 (loudness range) test signals, generated as the
/// documents define them: stereo 1 kHz sines at 48 kHz, at the given dBFS in each channel, for
/// the given seconds, one after the other.
enum EBUSignals {
    static func sine(_ segments: [(dbfs: Double, seconds: Double)], frequency: Double = 1000, sampleRate: Double = 48000) -> [Float] {
        var out: [Float] = []
        var n = 0
        for segment in segments {
            let amplitude = pow(10, segment.dbfs / 20)
            for _ in 0..<Int((segment.seconds * sampleRate).rounded()) {
                let v = Float(amplitude * sin(2 * Double.pi * frequency * Double(n) / sampleRate))
                out.append(v)
                out.append(v)
                n += 1
            }
        }
        return out
    }

    static func measure(_ samples: [Float], sampleRate: Double = 48000, channels: Int = 2) -> LoudnessResult {
        let meter = LoudnessMeter(sampleRate: sampleRate, channels: channels)
        samples.withUnsafeBufferPointer { meter.process($0) }
        return meter.result()
    }
}

@Suite("EBU R128 loudness: Tech 3341 and 3342 signals, ffmpeg's ebur128 on music")
struct LoudnessTests {
    @Test("EBU Tech 3341 tests 1–5: integrated loudness within 0.1 LU", arguments: [
        ([(-23.0, 20.0)], -23.0),
        ([(-33.0, 20.0)], -33.0),
        ([(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)], -23.0),
        ([(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)], -23.0),
        ([(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)], -23.0),
    ] as [([(Double, Double)], Double)])
    func tech3341(segments: [(Double, Double)], expected: Double) throws {
        let result = EBUSignals.measure(EBUSignals.sine(segments.map { (dbfs: $0.0, seconds: $0.1) }))
        let lufs = try #require(result.integratedLUFS)
        #expect(abs(lufs - expected) <= 0.1, "\(segments): \(lufs) LUFS")
    }

    @Test("EBU Tech 3342 tests 1–4: loudness range within 0.1 LU", arguments: [
        ([(-20.0, 20.0), (-30.0, 20.0)], 10.0),
        ([(-20.0, 20.0), (-15.0, 20.0)], 5.0),
        ([(-40.0, 20.0), (-20.0, 20.0)], 20.0),
        ([(-50.0, 20.0), (-35.0, 20.0), (-20.0, 20.0), (-35.0, 20.0), (-50.0, 20.0)], 15.0),
    ] as [([(Double, Double)], Double)])
    func tech3342(segments: [(Double, Double)], expected: Double) throws {
        let result = EBUSignals.measure(EBUSignals.sine(segments.map { (dbfs: $0.0, seconds: $0.1) }))
        let range = try #require(result.rangeLU)
        #expect(abs(range - expected) <= 0.1, "\(segments): \(range) LU")
    }

    @Test("The K-weighting is derived for the actual rate: −23 dBFS at 44.1 kHz and 22.05 kHz reads −23 LUFS")
    func otherRates() throws {
        for rate in [44100.0, 22050.0] {
            let result = EBUSignals.measure(EBUSignals.sine([(-23, 10)], sampleRate: rate), sampleRate: rate)
            #expect(abs(try #require(result.integratedLUFS) + 23) <= 0.1, "\(rate) Hz")
        }
    }

    @Test("True peak finds the peak between samples: a 12 kHz full-scale sine sampled 45° off its crest")
    func truePeak() throws {
        // Samples at ±0.707 (−3 dBFS sample peak), the wave itself reaching 1.0 (0 dBTP).
        var samples: [Float] = []
        for n in 0..<48000 {
            let v = Float(sin(2 * Double.pi * 12000 * Double(n) / 48000 + Double.pi / 4))
            samples.append(v); samples.append(v)
        }
        let result = EBUSignals.measure(samples)
        #expect(abs(try #require(result.samplePeakDBFS) + 3.01) < 0.05)
        // Tech 3341's tolerance for true peak: +0.2 / −0.4 dB.
        let tp = try #require(result.truePeakDBTP)
        #expect(tp > -0.4 && tp < 0.2, "true peak \(tp) dBTP")
    }

    @Test("Silence has no loudness, and ReplayGain is −18 LUFS minus the loudness")
    func silenceAndGain() throws {
        let silent = EBUSignals.measure([Float](repeating: 0, count: 96000))
        #expect(silent.integratedLUFS == nil && silent.truePeakDBTP == nil && silent.replayGainDB == nil)
        let tone = EBUSignals.measure(EBUSignals.sine([(-23, 5)]))
        #expect(abs(try #require(tone.replayGainDB) - 5) <= 0.1)
    }

    @Test("Album loudness pools the tracks' gating blocks: a loud and a quiet track of equal length")
    func albumGain() throws {
        let loud = EBUSignals.measure(EBUSignals.sine([(-20, 10)]))
        let quiet = EBUSignals.measure(EBUSignals.sine([(-26, 10)]))
        let album = try #require(LoudnessMeter.albumLoudness([loud, quiet]))
        // The same as measuring the two played one after the other.
        let joined = try #require(EBUSignals.measure(EBUSignals.sine([(-20, 10), (-26, 10)])).integratedLUFS)
        #expect(abs(album - joined) <= 0.1, "album \(album), joined \(joined)")
        // And not the mean of the two loudnesses (−20 and −26 give −23 that way).
        #expect(album > -22.5)
    }

    @Test("Integrated loudness, range and true peak agree with ffmpeg's ebur128 filter on music")
    func againstFFmpeg() throws {
        // Given a synthetic piece written as a WAV file
        let piece = SyntheticSet.pieces[0]
        let samples = piece.music.render()
        let dir = try TemporaryDirectory("analysis-ebur128")
        let wav = dir.appending("piece.wav")
        try AudioFiles.writeWAV(samples, sampleRate: 44100, channels: 2, to: wav)
        // When ffmpeg measures it
        let out = try Shell.capture(Shell.which("ffmpeg") ?? "/usr/bin/ffmpeg",
                                    ["-hide_banner", "-nostats", "-i", wav, "-af", "ebur128=peak=true", "-f", "null", "-"])
        let text = out.stderr
        func value(after label: String) -> Double? {
            guard let summary = text.range(of: "Summary:") else { return nil }
            let tail = text[summary.upperBound...]
            guard let r = tail.range(of: label) else { return nil }
            let number = tail[r.upperBound...].drop { $0 == " " }.prefix { "-0123456789.".contains($0) }
            return Double(number)
        }
        let ffI = try #require(value(after: "I:"), "no integrated loudness in: \(text.suffix(600))")
        let ffLRA = try #require(value(after: "LRA:"))
        let ffPeak = try #require(value(after: "Peak:"))
        // Then ours is within 0.1 LU (integrated) and close for range and true peak
        let ours = TrackAnalyzer.analyze(samples, sampleRate: 44100, channels: 2).loudness
        // ffmpeg prints one decimal, so its value itself is ±0.05 off.
        #expect(abs(try #require(ours.integratedLUFS) - ffI) <= 0.15, "ours \(ours.integratedLUFS!), ffmpeg \(ffI)")
        #expect(abs(try #require(ours.rangeLU) - ffLRA) <= 0.2, "ours \(ours.rangeLU!), ffmpeg \(ffLRA)")
        #expect(abs(try #require(ours.truePeakDBTP) - ffPeak) <= 0.2, "ours \(ours.truePeakDBTP!), ffmpeg \(ffPeak)")
    }
}
