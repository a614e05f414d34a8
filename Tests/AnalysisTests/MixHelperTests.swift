import Analysis
import Foundation
import Testing

@Suite("The mix helper: tempo change, pitch shift, Camelot relation, compatible shift, advice")
struct MixHelperTests {
    /// The pitch classes of a key's diatonic scale (natural minor for minor keys), computed from
    /// the tonic alone — a definition independent of the Camelot arithmetic under test.
    static func scale(_ key: MusicalKey) -> Set<Int> {
        let steps = key.mode == .major ? [0, 2, 4, 5, 7, 9, 11] : [0, 2, 3, 5, 7, 8, 10]
        return Set(steps.map { (key.tonic + $0) % 12 })
    }

    /// Camelot's rule restated in scales: in the same mode, compatible when the scales share at
    /// least six of seven notes (the same key, or a fifth either way); across modes, only when the
    /// scale is the same one (the relative major/minor).
    static func compatible(_ a: MusicalKey, _ b: MusicalKey) -> Bool {
        let shared = scale(a).intersection(scale(b)).count
        return a.mode == b.mode ? shared >= 6 : shared == 7
    }

    @Test("Every pair of the 24 keys: the relation, its compatibility, and the smallest shift that makes them compatible")
    func everyPair() throws {
        var counts: [KeyRelation: Int] = [:]
        for a in MusicalKey.all {
            for b in MusicalKey.all {
                // The relation, from the scales and the tonic
                let relation = a.relation(to: b)
                counts[relation, default: 0] += 1
                #expect(relation.isCompatible == Self.compatible(a, b), "\(a.camelot) → \(b.camelot)")
                switch relation {
                case .same: #expect(a == b)
                case .relative: #expect(a.mode != b.mode && Self.scale(a) == Self.scale(b))
                case .oneUp: #expect(a.mode == b.mode && (b.tonic - a.tonic + 12) % 12 == 7, "\(a.camelot) → \(b.camelot)")
                case .oneDown: #expect(a.mode == b.mode && (b.tonic - a.tonic + 12) % 12 == 5, "\(a.camelot) → \(b.camelot)")
                case .incompatible: break
                }
                // The smallest shift: it works, nothing smaller works, ties go up
                let shift = b.smallestCompatibleShift(to: a)
                #expect((-5...6).contains(shift))
                #expect(Self.compatible(a, b.transposed(by: shift)), "\(b.camelot) shifted \(shift) vs \(a.camelot)")
                for smaller in 0..<abs(shift) {
                    #expect(!Self.compatible(a, b.transposed(by: smaller)) && !Self.compatible(a, b.transposed(by: -smaller)),
                            "\(b.camelot) → \(a.camelot): \(smaller) would do, not \(shift)")
                }
                if shift < 0 { #expect(!Self.compatible(a, b.transposed(by: -shift)), "the tie goes up") }
                // And the advice carries the same
                let advice = MixHelper.advise(from: MixTrack(bpm: 120, key: a), to: MixTrack(bpm: 120, key: b))
                #expect(advice.relation == relation && advice.compatibleShiftSemitones == shift)
                #expect(advice.shiftedKey == b && advice.tempoChangePercent == 0 && advice.pitchShiftSemitones == 0)
            }
        }
        // Each key has exactly one same, one up, one down, one relative
        #expect(counts == [.same: 24, .oneUp: 24, .oneDown: 24, .relative: 24, .incompatible: 576 - 96])
    }

    @Test("Worked examples on the wheel", arguments: [
        // A, B, relation of B to A, smallest shift of B
        ("8A", "8A", KeyRelation.same, 0), ("8A", "9A", .oneUp, 0), ("8A", "7A", .oneDown, 0), ("8A", "8B", .relative, 0),
        ("8A", "3A", .incompatible, -1),  // B♭ minor down a semitone is A minor
        ("8B", "10B", .incompatible, -2),  // D major down two is C major (or up 5 is G major: larger)
        ("1B", "12B", .oneDown, 0), ("12A", "1A", .oneUp, 0),  // across the wheel's seam
        ("8A", "2B", .incompatible, 6),  // F♯ major: six either way reaches C major; the tie goes up
    ])
    func examples(a: String, b: String, relation: KeyRelation, shift: Int) throws {
        let ka = try #require(MusicalKey(parsing: a)), kb = try #require(MusicalKey(parsing: b))
        #expect(ka.relation(to: kb) == relation)
        #expect(kb.smallestCompatibleShift(to: ka) == shift)
    }

    @Test("Notation conversions are exact for all 24 keys: standard ↔ Camelot ↔ Open Key, and transposition moves the wheel by seven")
    func notations() throws {
        for key in MusicalKey.all {
            for notation in MusicalKey.Notation.allCases {
                #expect(MusicalKey(parsing: key.name(in: notation)) == key, "\(key) in \(notation)")
            }
            // Camelot and Open Key number the same wheel, seven apart: 8A is 1m.
            let open = Int(key.openKey.dropLast())!
            #expect((key.camelotNumber - open + 12) % 12 == 7)
            // A semitone up is seven steps clockwise, the letter kept
            let up = key.transposed(by: 1)
            #expect((up.camelotNumber - key.camelotNumber + 12) % 12 == 7 && up.mode == key.mode)
            #expect(key.transposed(by: 12) == key && key.transposed(by: -1).transposed(by: 1) == key)
        }
    }

    @Test("Tempo: the change in percent at the closest of ×½, ×1, ×2, and the pitch shift it causes without key lock")
    func tempo() throws {
        let am = MusicalKey(tonic: 9, mode: .minor)
        // 124 under 120: speed up 3.33 %, +0.57 semitones, heard a semitone up (B♭ minor, 3A)
        var advice = MixHelper.advise(from: MixTrack(bpm: 124, key: am), to: MixTrack(bpm: 120, key: am))
        #expect(advice.tempoLevel == .same && advice.tempoChangePercent == 3.33)
        #expect(advice.pitchShiftSemitones == (1200 * log2(124.0 / 120)).rounded() / 100)
        #expect(advice.shiftedKey?.camelot == "3A" && advice.shiftedRelation == .incompatible && advice.relation == .same)
        #expect(advice.suggestion == "Speed B up 3.3 % and its key moves to 3A, which clashes with A's 8A. With key lock on, B keeps its 8A, which is compatible.",
                "\(advice.suggestion)")
        // 70 under 138: double time (140), slow down 1.43 %, −0.25 semitones: the key stays
        advice = MixHelper.advise(from: MixTrack(bpm: 138, key: am), to: MixTrack(bpm: 70, key: MusicalKey(tonic: 4, mode: .minor)))
        #expect(advice.tempoLevel == .double && advice.matchedBPM == 140 && advice.tempoChangePercent == -1.43)
        #expect(advice.pitchShiftSemitones == -0.25 && advice.shiftedKey?.camelot == "9A" && advice.shiftedRelation == .oneUp)
        #expect(advice.suggestion == "Slow B down 1.4 % (counted in double time, 140 BPM) and its key stays 9A, compatible with A's 8A.",
                "\(advice.suggestion)")
        // 172 under 85: half time (86), slow down 1.16 %
        advice = MixHelper.advise(from: MixTrack(bpm: 85, key: nil), to: MixTrack(bpm: 172, key: nil))
        #expect(advice.tempoLevel == .half && advice.tempoChangePercent == -1.16 && advice.relation == nil)
        #expect(advice.suggestion.hasSuffix("A key is unknown, so key compatibility cannot be judged."))
        // A 2-semitone slow-down (×0.8909) moves 11A (F♯ minor) to 9A (E minor), compatible with 8A
        let ratio = pow(2, -2.0 / 12)
        advice = MixHelper.advise(from: MixTrack(bpm: 100 * ratio, key: am), to: MixTrack(bpm: 100, key: MusicalKey(tonic: 6, mode: .minor)))
        #expect(advice.pitchShiftSemitones == -2 && advice.shiftedKey?.camelot == "9A" && advice.shiftedRelation == .oneUp)
        #expect(advice.relation == .incompatible && advice.compatibleShiftSemitones == -2)
        #expect(advice.suggestion == "Slow B down 10.9 % and its key moves to 9A, compatible with A's 8A.", "\(advice.suggestion)")
        // Exactly in between ×1 and ×2 by ratio (√2 either way) keeps ×1
        advice = MixHelper.advise(from: MixTrack(bpm: 100 * 2.0.squareRoot(), key: nil), to: MixTrack(bpm: 100, key: nil))
        #expect(advice.tempoLevel == .same)
        // The tempo level always needs the smallest change of the three
        for (a, b) in [(120.0, 61.0), (120, 59), (90, 170), (150, 80), (100, 100)] {
            let change = try #require(MixHelper.advise(from: MixTrack(bpm: a, key: nil), to: MixTrack(bpm: b, key: nil)).tempoChangePercent)
            let best = [1.0, 2, 0.5].map { abs(log(a / (b * $0))) }.min()!
            #expect(abs(abs(log(1 + change / 100)) - best) < 1e-3, "\(a) \(b)")
        }
    }

    @Test("No steady tempo or an unknown key: the advice says so, and still judges what it can")
    func unknowns() {
        let advice = MixHelper.advise(from: MixTrack(bpm: nil, key: MusicalKey(tonic: 0, mode: .major)),
                                      to: MixTrack(bpm: 128, key: MusicalKey(tonic: 2, mode: .major)),
                                      notation: .standard)
        #expect(advice.tempoChangePercent == nil && advice.pitchShiftSemitones == nil && advice.tempoLevel == nil)
        #expect(advice.relation == .incompatible && advice.compatibleShiftSemitones == -2)
        #expect(advice.suggestion == "A has no steady tempo: blend without beatmatching. B's D major clashes with A's C major. To make the keys compatible, shift B −2 semitones to C major (key lock on).",
                "\(advice.suggestion)")
    }
}
