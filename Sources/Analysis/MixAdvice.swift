import Foundation

/// How one key sits beside another on the Camelot wheel, as a DJ reads it.
public enum KeyRelation: String, Sendable, Hashable, Codable, CaseIterable {
    /// The same Camelot code (the same key).
    case same
    /// One step clockwise on the wheel (a fifth up, the same mode): "8A → 9A".
    case oneUp
    /// One step anticlockwise (a fifth down, the same mode): "8A → 7A".
    case oneDown
    /// The relative major or minor (the same number, the other letter): "8A → 8B".
    case relative
    /// Anything else: the keys clash.
    case incompatible

    /// Whether a DJ can mix the two without a clash (every relation but `incompatible`).
    public var isCompatible: Bool { self != .incompatible }
}

extension MusicalKey {
    /// The key `semitones` higher (lower when negative), the mode kept.
    public func transposed(by semitones: Int) -> MusicalKey {
        MusicalKey(tonic: tonic + semitones, mode: mode)
    }

    /// How `other` sits beside this key on the Camelot wheel ("8A" seen from "8A" is `.same`,
    /// "9A" is `.oneUp`, "8B" is `.relative`).
    public func relation(to other: MusicalKey) -> KeyRelation {
        let step = (other.camelotNumber - camelotNumber + 12) % 12
        if other.mode != mode { return step == 0 ? .relative : .incompatible }
        switch step {
        case 0: return .same
        case 1: return .oneUp
        case 11: return .oneDown
        default: return .incompatible
        }
    }

    /// The smallest transposition of this key, in semitones (−5...6; 0 when already compatible),
    /// that makes it compatible with `target`. Of two equally small shifts the upward one is
    /// given: a semitone up and one down are equally audible, and one rule keeps answers stable.
    public func smallestCompatibleShift(to target: MusicalKey) -> Int {
        for size in 0...6 {
            for shift in size == 0 ? [0] : [size, -size] where target.relation(to: transposed(by: shift)).isCompatible {
                return shift
            }
        }
        // Unreachable: twelve transpositions visit all twelve codes of this key's letter, and
        // the target's own number with that letter is always compatible (same or relative).
        return 0
    }
}

/// What the mix helper needs of one track: its tempo and key, either unknown.
public struct MixTrack: Sendable, Equatable, Codable {
    /// Beats per minute; nil for no steady tempo. The half/double alternatives are considered
    /// by the helper itself (it tries ×½, ×1 and ×2, which include `TempoResult.alternativeBPM`).
    public var bpm: Double?
    /// The key; nil when unknown.
    public var key: MusicalKey?

    /// A track with the given tempo and key.
    public init(bpm: Double?, key: MusicalKey?) {
        self.bpm = bpm
        self.key = key
    }
}

/// How to blend track B into track A, playing: B's speed is changed to A's beat.
///
/// Numbers are rounded to 0.01 (percent, semitones); every field that needs an unknown tempo or
/// key is nil.
public struct MixAdvice: Sendable, Equatable, Codable {
    /// Which of B's metrical levels meets A's beat.
    public enum TempoLevel: String, Sendable, Codable {
        /// B's tempo as it is.
        case same
        /// B counted in double time (its BPM ×2): a 70 BPM track under a 140 BPM one.
        case double
        /// B counted in half time (its BPM ×½).
        case half
    }

    /// The level of B's tempo that is matched (the one needing the smallest change).
    public var tempoLevel: TempoLevel?
    /// B's tempo at that level, before the change (e.g. 140 for a 70 BPM track in double time).
    public var matchedBPM: Double?
    /// The speed change applied to B, in percent: positive = faster.
    public var tempoChangePercent: Double?
    /// The pitch change that speed change causes without key lock: 12·log2(speed ratio) semitones.
    public var pitchShiftSemitones: Double?
    /// How B's key sits beside A's, as they are.
    public var relation: KeyRelation?
    /// B's key as heard after the speed change without key lock: its key moved by the pitch shift
    /// rounded to the nearest semitone (a shift of half a semitone sits between two keys).
    public var shiftedKey: MusicalKey?
    /// How `shiftedKey` sits beside A's key.
    public var shiftedRelation: KeyRelation?
    /// The smallest transposition of B (key lock on, or a pitch control) that makes its key
    /// compatible with A's: 0 when it already is, else −5...6 semitones.
    public var compatibleShiftSemitones: Int?
    /// B's key after that transposition.
    public var compatibleKey: MusicalKey?
    /// The advice in one or two sentences ("Speed B up 3.2 % and its key moves to 9A,
    /// compatible with A's 8A.").
    public var suggestion: String
}

/// The mix helper (issue 14's "genre fusion"): from two tracks' tempo and key, how to blend them.
/// Pure: no I/O, no state.
public enum MixHelper {
    /// Advice for mixing from `a` (playing) into `b` (coming in): B is sped up or slowed to A's
    /// beat, at whichever of B's levels (×½, ×1, ×2) needs the smallest change; ties keep ×1.
    /// Key names in the suggestion use `notation`.
    public static func advise(from a: MixTrack, to b: MixTrack, notation: MusicalKey.Notation = .camelot) -> MixAdvice {
        var advice = MixAdvice(suggestion: "")
        var ratio: Double?
        if let aBPM = a.bpm, let bBPM = b.bpm, aBPM > 0, bBPM > 0 {
            let levels: [(MixAdvice.TempoLevel, Double)] = [(.same, 1), (.double, 2), (.half, 0.5)]
            let best = levels.min { abs(log(aBPM / (bBPM * $0.1))) < abs(log(aBPM / (bBPM * $1.1))) - 1e-12 }!
            let r = aBPM / (bBPM * best.1)
            ratio = r
            advice.tempoLevel = best.0
            advice.matchedBPM = round2(bBPM * best.1)
            advice.tempoChangePercent = round2((r - 1) * 100)
            advice.pitchShiftSemitones = round2(12 * log2(r))
        }
        if let aKey = a.key, let bKey = b.key {
            advice.relation = aKey.relation(to: bKey)
            let shift = advice.pitchShiftSemitones.map { Int($0.rounded()) } ?? 0
            let shifted = bKey.transposed(by: shift)
            advice.shiftedKey = shifted
            advice.shiftedRelation = aKey.relation(to: shifted)
            let fix = bKey.smallestCompatibleShift(to: aKey)
            advice.compatibleShiftSemitones = fix
            advice.compatibleKey = bKey.transposed(by: fix)
        }
        advice.suggestion = suggestion(advice, a: a, b: b, ratio: ratio, notation: notation)
        return advice
    }

    private static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    private static func percent(_ x: Double) -> String {
        // One decimal reads well ("3.2 %"); two when the change is under 1 %.
        abs(x) < 1 ? String(format: "%.2f", abs(x)) : String(format: "%.1f", abs(x))
    }

    private static func bpmText(_ bpm: Double) -> String {
        bpm == bpm.rounded() ? String(Int(bpm)) : String(format: "%.2f", bpm)
    }

    private static func semitones(_ n: Int) -> String {
        "\(n > 0 ? "+" : "−")\(abs(n)) semitone\(abs(n) == 1 ? "" : "s")"
    }

    private static func suggestion(_ advice: MixAdvice, a: MixTrack, b: MixTrack, ratio: Double?, notation: MusicalKey.Notation) -> String {
        var sentences: [String] = []
        var tempoPart: String
        if let change = advice.tempoChangePercent, let level = advice.tempoLevel {
            let counted = level == .same ? "" : " (counted in \(level == .double ? "double" : "half") time, \(bpmText(advice.matchedBPM!)) BPM)"
            if abs(change) < 0.005 {
                tempoPart = "Play B at its own speed\(counted)"
            } else {
                tempoPart = "\(change > 0 ? "Speed B up" : "Slow B down") \(percent(change)) %\(counted)"
            }
        } else if a.bpm == nil && b.bpm == nil {
            tempoPart = "Neither track has a steady tempo: blend them without beatmatching"
        } else {
            tempoPart = "\(a.bpm == nil ? "A" : "B") has no steady tempo: blend without beatmatching"
        }
        guard let aKey = a.key, let bKey = b.key, let shifted = advice.shiftedKey, let shiftedRelation = advice.shiftedRelation,
              let relation = advice.relation, let fix = advice.compatibleShiftSemitones, let fixed = advice.compatibleKey
        else {
            sentences.append(tempoPart + ".")
            sentences.append("A key is unknown, so key compatibility cannot be judged.")
            return sentences.joined(separator: " ")
        }
        let aName = aKey.name(in: notation)
        let moved = shifted != bKey
        let keyPhrase = moved ? "its key moves to \(shifted.name(in: notation))" : "its key stays \(bKey.name(in: notation))"
        let verdict = shiftedRelation.isCompatible ? "compatible with A's \(aName)" : "which clashes with A's \(aName)"
        if ratio != nil {
            sentences.append("\(tempoPart) and \(keyPhrase), \(verdict).")
        } else {
            sentences.append(tempoPart + ".")
            sentences.append("B's \(bKey.name(in: notation)) \(relation.isCompatible ? "is compatible with" : "clashes with") A's \(aName).")
        }
        if !shiftedRelation.isCompatible || (ratio == nil && !relation.isCompatible) {
            if relation.isCompatible {
                sentences.append("With key lock on, B keeps its \(bKey.name(in: notation)), which is compatible.")
            } else {
                sentences.append("To make the keys compatible, shift B \(semitones(fix)) to \(fixed.name(in: notation)) (key lock on).")
            }
        }
        return sentences.joined(separator: " ")
    }
}
