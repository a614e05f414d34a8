import Foundation

/// Everything analysis says about one track.
public struct TrackAnalysis: Sendable, Equatable, Codable {
    /// Which analyzer produced this (`TrackAnalyzer.version`); a new version re-analyses.
    public var analyzerVersion: Int
    /// Seconds of audio analysed.
    public var durationSeconds: Double
    /// Tempo and beat grid.
    public var tempo: TempoResult
    /// Key; nil when nothing tonal was heard.
    public var key: KeyResult?
    /// EBU R128 loudness.
    public var loudness: LoudnessResult
    /// Chromaprint fingerprint (base64, AcoustID's form); nil for less than about 3 s of audio.
    public var fingerprint: String?
    /// Chromaprint's raw sub-fingerprints, what duplicate matching compares.
    public var rawFingerprint: [UInt32]
    /// The feature vector (`FeatureVector.names` says what each value is), not yet normalised.
    public var features: [Double]
    /// The descriptors (each 0...1).
    public var descriptors: Descriptors
}

/// Four numbers a listener understands, each 0...1, defined in Sources/Analysis/README.md.
public struct Descriptors: Sendable, Equatable, Codable {
    /// Loud, dense and bright.
    public var energy: Double
    /// A steady beat in the dancing range (about 90–150 BPM).
    public var danceability: Double
    /// 1 = electronic (machine-steady beat, small loudness range), 0 = acoustic.
    public var electronic: Double
    /// Share of the spectral energy above 1.5 kHz.
    public var brightness: Double
}

/// Options for one analysis.
public struct AnalysisOptions: Sendable, Equatable {
    /// The tempo octave range: the answer is doubled or halved into it.
    public var tempoRange: ClosedRange<Double>
    /// How much of the start the fingerprint covers (Chromaprint/AcoustID use 120 s).
    public var fingerprintSeconds: Double

    /// The defaults: 78–156 BPM, 120 s.
    public init(tempoRange: ClosedRange<Double> = 78...156, fingerprintSeconds: Double = 120) {
        self.tempoRange = tempoRange
        self.fingerprintSeconds = fingerprintSeconds
    }
}

/// Analyses one track from its decoded samples, streamed in blocks: every analysis is fed from
/// the same pass, so a track is decoded once.
///
/// Loudness and the fingerprint read the samples as they are (all channels, their own rate); tempo,
/// key and timbre read a mono downmix decimated to about 22 kHz.
///
/// Not `Sendable`: create one per track and call it from one thread (the analysis workers are
/// plain threads at idle priority, not the cooperative pool: this is seconds of CPU).
public final class TrackAnalyzer {
    /// The analyzer's version, stored with every result. Raise it when a change alters results.
    public static let version = 2

    private let inputRate: Double
    private let channels: Int
    private let options: AnalysisOptions
    private let loudness: LoudnessMeter
    private let fingerprinter: Fingerprinter
    private var decimator: MonoDecimator
    private var mono: [Float] = []
    private var onsetFrames: FrameStream!
    private var keyFrames: FrameStream!
    private let key: KeyDetector
    private let timbre: TimbreAccumulator
    private var framesIn = 0

    /// Creates an analyzer for interleaved Float32 samples.
    ///
    /// - Parameters:
    ///   - sampleRate: the samples' rate in Hz (any; 44,100 or 48,000 typically).
    ///   - channels: the channel count (1 or 2 typically).
    public init(sampleRate: Double, channels: Int, options: AnalysisOptions = AnalysisOptions()) {
        inputRate = sampleRate
        self.channels = channels
        self.options = options
        loudness = LoudnessMeter(sampleRate: sampleRate, channels: channels)
        fingerprinter = Fingerprinter(sampleRate: sampleRate, channels: channels, limitSeconds: options.fingerprintSeconds)
        decimator = MonoDecimator(inputRate: sampleRate)
        let rate = decimator.outputRate
        // 8,192 points at ~22 kHz: 2.7 Hz bins, enough to tell A1 from A♯1.
        let keySize = 8192
        let onsetSize = 1024
        key = KeyDetector(sampleRate: rate, frameSize: keySize)
        timbre = TimbreAccumulator(sampleRate: rate, frameSize: onsetSize)
        let keyDetector = key, timbre = timbre
        keyFrames = FrameStream(frameSize: keySize, hop: keySize) { keyDetector.add($0) }
        onsetFrames = FrameStream(frameSize: onsetSize, hop: onsetSize / 4) { [timbre] in timbre.add($0) }
    }

    /// Feeds a block of interleaved samples (a whole number of frames).
    public func process(_ samples: UnsafeBufferPointer<Float>) {
        framesIn += samples.count / channels
        loudness.process(samples)
        fingerprinter.process(samples)
        mono.removeAll(keepingCapacity: true)
        decimator.process(samples, channels: channels, into: &mono)
        mono.withUnsafeBufferPointer {
            onsetFrames.append($0)
            keyFrames.append($0)
        }
    }

    /// Convenience for `[Float]` blocks.
    public func process(_ samples: [Float]) { samples.withUnsafeBufferPointer { process($0) } }

    /// Ends the stream and returns the analysis.
    public func finish() -> TrackAnalysis {
        onsetFrames.finish()
        keyFrames.finish()
        let frameRate = decimator.outputRate / Double(onsetFrames.hop)
        // Frame n is centred on sample n·hop; its flux peaks within a few ms of a drum's onset
        // (measured on the synthetic set), so the beat times need no correction.
        let tempo = TempoEstimator.estimate(onset: timbre.onset, frameRate: frameRate, range: options.tempoRange)
        let keyResult = key.result()
        let loud = loudness.result()
        let print = fingerprinter.finish()
        let duration = Double(framesIn) / inputRate
        let summary = timbre.summary(durationSeconds: duration)
        let features = FeatureVector.make(timbre: summary, tempo: tempo, key: keyResult, chroma: key.chroma(), loudness: loud)
        let descriptors = FeatureVector.descriptors(timbre: summary, tempo: tempo, loudness: loud)
        return TrackAnalysis(
            analyzerVersion: Self.version, durationSeconds: duration, tempo: tempo, key: keyResult,
            loudness: loud, fingerprint: print?.encoded, rawFingerprint: print?.raw ?? [],
            features: features, descriptors: descriptors)
    }

    /// Analyses a whole buffer of interleaved samples at once.
    public static func analyze(_ samples: [Float], sampleRate: Double, channels: Int, options: AnalysisOptions = AnalysisOptions()) -> TrackAnalysis {
        let analyzer = TrackAnalyzer(sampleRate: sampleRate, channels: channels, options: options)
        // In blocks, as a decoder would deliver them.
        let block = 4096 * channels
        samples.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + block)
                analyzer.process(UnsafeBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
        return analyzer.finish()
    }
}
