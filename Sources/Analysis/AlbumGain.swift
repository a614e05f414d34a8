extension LoudnessMeter {
    /// The integrated loudness of an album from its tracks' stored gating blocks
    /// (`LoudnessResult.gatingBlocks`, as the library keeps them): the same pooling and gating as
    /// `albumLoudness(_:)`, for callers that hold only the blocks (the player's ReplayGain fallback).
    public static func albumLoudness(gatingBlocks tracks: [[Float]]) -> Double? {
        integrated(tracks.flatMap { $0.map(Double.init) })
    }
}
