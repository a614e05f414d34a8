/// A musical key: a tonic pitch class and a mode, and its names in the three notations users
/// pick from (standard, Camelot, Open Key).
public struct MusicalKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Major or minor.
    public enum Mode: String, Sendable, Hashable, Codable { case major, minor }

    /// The notation a key is shown in.
    public enum Notation: String, Sendable, CaseIterable, Codable {
        /// "A minor", "F♯ major".
        case standard
        /// The Camelot wheel: "8A" (minor) and "8B" (major).
        case camelot
        /// Open Key: "1m" (minor) and "1d" (major).
        case openKey
    }

    /// The tonic's pitch class, 0 = C ... 11 = B.
    public var tonic: Int
    /// Major or minor.
    public var mode: Mode

    /// Creates a key; `tonic` is taken modulo 12.
    public init(tonic: Int, mode: Mode) {
        self.tonic = ((tonic % 12) + 12) % 12
        self.mode = mode
    }

    // The spellings of the Camelot wheel: flats for D♭, E♭, A♭, B♭ majors and E♭, A♭, B♭ minors;
    // sharps for F♯ major and C♯, F♯ minors.
    private static let majorNames = ["C", "D♭", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B"]
    private static let minorNames = ["C", "C♯", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B"]

    /// "A minor", "F♯ major".
    public var standardName: String {
        (mode == .major ? Self.majorNames[tonic] : Self.minorNames[tonic]) + " " + mode.rawValue
    }

    /// The short standard form: "Am", "F♯".
    public var shortName: String {
        (mode == .major ? Self.majorNames[tonic] : Self.minorNames[tonic] + "m")
    }

    /// The Camelot number, 1...12: the circle of fifths, with C major and A minor at 8.
    public var camelotNumber: Int {
        // Each step clockwise is a fifth (7 semitones up); C major is 8B, A minor is 8A.
        let reference = mode == .major ? 0 : 9
        let fifths = ((tonic - reference) * 7 % 12 + 12) % 12
        return (fifths + 7) % 12 + 1
    }

    /// "8A", "8B".
    public var camelot: String { "\(camelotNumber)\(mode == .minor ? "A" : "B")" }

    /// "1m", "1d": Open Key numbers the wheel from C major / A minor as 1.
    public var openKey: String {
        let number = (camelotNumber - 8 + 12) % 12 + 1
        return "\(number)\(mode == .minor ? "m" : "d")"
    }

    /// The name in `notation`.
    public func name(in notation: Notation) -> String {
        switch notation {
        case .standard: standardName
        case .camelot: camelot
        case .openKey: openKey
        }
    }

    /// The standard name.
    public var description: String { standardName }

    /// The key with the given Camelot number and letter (A = minor, B = major).
    public init?(camelotNumber: Int, minor: Bool) {
        guard (1...12).contains(camelotNumber) else { return nil }
        // Inverse of `camelotNumber`: fifths = number − 8; tonic = reference + 7·fifths.
        let fifths = camelotNumber - 8
        self.init(tonic: (minor ? 9 : 0) + 7 * fifths + 120, mode: minor ? .minor : .major)
    }

    /// Parses any of the notations: "A minor", "Am", "a", "F#m", "F♯ major", "Gb", "8A", "1m",
    /// "1d". Case and spaces are ignored except that a lone lower-case letter is not minor
    /// (as in the common "Am" vs "A"). Returns nil for anything else.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        let lower = t.lowercased()
        // Camelot / Open Key: digits then one letter.
        if let last = lower.last, "abmd".contains(last), let number = Int(lower.dropLast()) {
            switch last {
            case "a": self.init(camelotNumber: number, minor: true)
            case "b": self.init(camelotNumber: number, minor: false)
            default:
                guard (1...12).contains(number) else { return nil }
                self.init(camelotNumber: (number + 6) % 12 + 1, minor: last == "m")
            }
            return
        }
        var scalars = Array(lower.replacingOccurrences(of: " ", with: ""))
        guard let letter = scalars.first, let base = ["c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11][letter] else {
            return nil
        }
        scalars.removeFirst()
        var tonic = base
        if let accidental = scalars.first, "#♯b♭".contains(accidental) {
            tonic += (accidental == "#" || accidental == "♯") ? 1 : -1
            scalars.removeFirst()
        }
        let rest = String(scalars)
        switch rest {
        case "", "maj", "major", "dur": self.init(tonic: tonic, mode: .major)
        case "m", "min", "minor", "moll": self.init(tonic: tonic, mode: .minor)
        default: return nil
        }
    }

    /// The keys a DJ can mix this one into without a clash (Camelot's rule): the same code, one
    /// step either way on the wheel, and the relative major or minor.
    public var compatibleKeys: [MusicalKey] {
        let n = camelotNumber, minor = mode == .minor
        return [
            self,
            MusicalKey(camelotNumber: (n % 12) + 1, minor: minor)!,
            MusicalKey(camelotNumber: ((n + 10) % 12) + 1, minor: minor)!,
            MusicalKey(camelotNumber: n, minor: !minor)!,
        ]
    }

    /// All 24 keys, C major first.
    public static let all: [MusicalKey] = (0..<12).flatMap { [MusicalKey(tonic: $0, mode: .major), MusicalKey(tonic: $0, mode: .minor)] }
}

import Foundation
