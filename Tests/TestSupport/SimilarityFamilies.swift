import Foundation

/// Families of generated pieces, shared by the similarity tests of AnalysisTests and the web API:
/// one style (tempo region, feel, mode, drums or not) and one set of instruments each, members
/// differing in seed, key and a few BPM. Families share what they can:
/// "house" and "fast" have the same instruments (the rhythm must tell them apart), "swing" and
/// "pads" too (the drums must), "half time" has the instruments no one else has.
public enum SimilarityFamilies {
    public struct Member: Sendable {
        public var family: String
        public var music: SyntheticMusic
    }

    public static let members: [Member] = {
        // name, bpm, swing, half time, drums, instruments, minor
        let styles: [(String, Double, Double, Bool, Bool, Int, Bool)] = [
            ("house", 124, 0.5, false, true, 0, true),
            ("fast", 172, 0.5, false, true, 0, false),
            ("swing", 94, 2.0 / 3, false, true, 1, false),
            ("half time", 140, 0.5, true, true, 2, false),
            ("pads", 100, 0.5, false, false, 1, false),
        ]
        var out: [Member] = []
        for (f, style) in styles.enumerated() {
            for m in 0..<3 {
                let seed = UInt64(1000 + 10 * f + m)
                out.append(Member(family: style.0, music: SyntheticMusic(
                    bpm: style.1 * (1 + 0.015 * Double(m - 1)), tonic: (f * 5 + m * 7) % 12, minor: style.6, seconds: 20,
                    drums: style.4, swing: style.2, halfTime: style.3, family: style.5, seed: seed)))
            }
        }
        return out
    }()
}
