import Analysis
import Foundation
import LocalStore
import MediaIO
import OmniModel

/// Analysing one file: decoded once (MediaIO's `FloatSampleReader`, channels kept, 44.1 kHz),
/// every block fed to one `TrackAnalyzer`. What `omnisonicd analyze` and the background
/// analysis (`AnalysisService`) both call.
///
/// Blocking (seconds of CPU): call it on a dedicated thread, never on the cooperative pool.
public enum FileAnalysis {
    /// The rate files are decoded at for analysis (the analyzers decimate from it themselves).
    public static let sampleRate = 44_100

    /// Decodes `path` and analyses it.
    ///
    /// - Parameter shouldStop: asked between blocks (about 1.5 s of audio each); when it returns
    ///   true the analysis is abandoned and nil returned (shutdown).
    /// - Throws: `MediaError` when the file cannot be opened or decoded.
    public static func analyze(_ path: RawPath, options: AnalysisOptions = AnalysisOptions(),
                               shouldStop: () -> Bool = { false }) throws(MediaError) -> TrackAnalysis? {
        // The channels kept (stereo at most): loudness is measured per channel (decision 0027).
        let reader = try FloatSampleReader(path: path, sampleRate: sampleRate, channels: .kept)
        let analyzer = TrackAnalyzer(sampleRate: Double(sampleRate), channels: reader.channels, options: options)
        var block: [Float] = []
        while try reader.read(into: &block, maximumFrames: 65_536) > 0 {
            if shouldStop() { return nil }
            analyzer.process(block)
        }
        return analyzer.finish()
    }
}

extension StoredAnalysis {
    /// The stored form of a successful analysis of `work`'s file.
    public init(_ work: AnalysisWork, analysis a: TrackAnalysis, seconds: Double) {
        self.init(uid: work.uid, analyzerVersion: a.analyzerVersion, status: .done, fileSize: work.fileSize,
                  fileMtimeNs: work.fileMtimeNs, seconds: seconds)
        durationSeconds = a.durationSeconds
        bpm = a.tempo.bpm
        bpmConfidence = a.tempo.confidence
        beatOffsetMs = a.tempo.firstBeatSeconds.map { ($0 * 1000).rounded() }
        bpmAlternative = a.tempo.alternativeBPM
        if let key = a.key {
            keyTonic = key.key.tonic
            keyMinor = key.key.mode == .minor
            camelot = key.key.camelot
            keyConfidence = key.confidence
            tuningCents = key.tuningCents
        }
        loudnessLufs = a.loudness.integratedLUFS
        loudnessRangeLu = a.loudness.rangeLU
        truePeakDbtp = a.loudness.truePeakDBTP
        samplePeakDbfs = a.loudness.samplePeakDBFS
        replayGainDb = a.loudness.replayGainDB
        gatingBlocks = a.loudness.gatingBlocks
        fingerprint = a.fingerprint
        rawFingerprint = a.rawFingerprint
        features = a.features
        energy = a.descriptors.energy
        danceability = a.descriptors.danceability
        electronic = a.descriptors.electronic
        brightness = a.descriptors.brightness
    }
}
