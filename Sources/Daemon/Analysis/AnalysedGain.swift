import Analysis
import Foundation
import LocalStore
import OmniModel

/// ReplayGain from the analysis, for files that carry no gain tags (issue 14): track gain from
/// the track's integrated loudness (−18 LUFS reference), album gain from the album's pooled
/// gating blocks when the whole album is analysed (else the player falls back to track gain),
/// peaks from the true peaks (so clipping prevention holds).
public enum AnalysedGain {
    /// The player's lookup (`PlayerConfiguration.analysedGain`) over `library`. Blocking (one
    /// or two small reads); the player calls it on its own thread when it opens a track.
    public static func lookup(_ library: Library) -> @Sendable (TrackUID) -> ReplayGain? {
        { uid in
            guard let loudness = try? library.analysedLoudness(of: uid) else { return nil }
            return replayGain(loudness)
        }
    }

    /// The ReplayGain values that `loudness` stands for.
    public static func replayGain(_ loudness: AnalysedLoudness) -> ReplayGain {
        func linear(_ db: Double?) -> Double? { db.map { pow(10, $0 / 20) } }
        var values = ReplayGain(trackGain: loudness.trackGainDb, trackPeak: linear(loudness.truePeakDbtp))
        if let blocks = loudness.albumGatingBlocks, let album = LoudnessMeter.albumLoudness(gatingBlocks: blocks) {
            values.albumGain = LoudnessMeter.replayGainReference - album
            values.albumPeak = linear(loudness.albumPeakDbtp)
        }
        return values
    }
}
