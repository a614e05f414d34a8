import Foundation
import OmniModel

/// The folding search applies on top of FTS5's `unicode61 remove_diacritics 2`, to the indexed
/// text (`document`) and to each query term (`query`) alike, so that names are found the way
/// people type them. Decision 0005, "Folding names the way people type them", has the rule and
/// its table of examples; `SearchFoldingTests` checks it on names from many languages.
///
/// 1. NFC first (a name stored decomposed, as macOS writes file names, folds like its twin).
/// 2. Letters that `unicode61` does not fold, because Unicode gives them no decomposition, are
///    transliterated as they are typed on a keyboard without them: ð→d, þ→th, æ→ae, ø→o, œ→oe,
///    ß→ss, ł→l, đ→d, ħ→h, ı→i, ŋ→ng, ŧ→t, ĸ→k, ſ→s, ĳ→ij, ŀ→l (upper case too).
///    The letters with a decomposition (é, ü, å, ñ, ç, ő…) are left to `unicode61`, except
///    Greek ones, whose accents `unicode61` keeps (ά→α, ϊ→ι).
/// 3. An apostrophe, dash, dot, slash, ampersand, underscore or middle dot between two letters
///    or digits joins them: `O'Connor` is the word `OConnor`,
///    `AC/DC` is `ACDC`, `Jay-Z` is `JayZ`, `R.E.M.` is `REM`. In the index, the parts of such a
///    word are also added at the end of the column (`O Connor`, `AC DC`, `Jay Z`), so the parts
///    typed apart still find it (`connor`, `ac dc`). In place, the joined word keeps phrases
///    intact: "sinead o'connor" is the phrase `sinead oconnor` on both sides.
/// 4. Runs of CJK characters (Han, kana, Hangul) have no spaces between words, and `unicode61`
///    keeps a run as one token, so only its beginning could be found. A run is indexed as its
///    overlapping bigrams plus its last character (`坂本龍一` → `坂本 本龍 龍一 一`), and a query
///    run as its bigrams (`龍一` → `龍一`, `本龍一` → the phrase `本龍 龍一`), always a prefix, so
///    any part of a run matches, one character included.
///
/// Pure functions, safe from any thread. `document` is also registered as the SQL function
/// `omni_search_fold` on the library's writer connection (`SearchIndex`), which feeds the index.
enum SearchFolding {
    /// The transliteration of letters without a Unicode decomposition (rule 2).
    static let transliterations: [Unicode.Scalar: String] = [
        "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O",
        "œ": "oe", "Œ": "Oe", "ß": "ss", "ẞ": "SS", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
        "ħ": "h", "Ħ": "H", "ı": "i", "ŋ": "ng", "Ŋ": "Ng", "ŧ": "t", "Ŧ": "T", "ĸ": "k",
        "ſ": "s", "ĳ": "ij", "Ĳ": "IJ", "ŀ": "l", "Ŀ": "L", "ǥ": "g", "Ǥ": "G", "ƀ": "b",
    ]

    /// The text to index for one column value (nil stays nil).
    static func document(_ text: String) -> String { fold(text, forQuery: false) }

    /// One query term's text, folded as the index is.
    static func query(_ text: String) -> String { fold(text, forQuery: true) }

    enum Kind { case word, cjk, mark, joiner, separator }

    private static func kind(_ scalar: Unicode.Scalar) -> Kind {
        // ASCII from a table made by the rule below: most scalars of a library are ASCII, and the
        // property lookup was a measurable part of each probe thread (decision 0039).
        scalar.value < 0x80 ? asciiKinds[Int(scalar.value)] : kindByProperties(scalar)
    }

    /// `kindByProperties` of each ASCII scalar, computed once.
    static let asciiKinds: [Kind] = (0..<0x80).map { kindByProperties(Unicode.Scalar(UInt8($0))) }

    private static func kindByProperties(_ scalar: Unicode.Scalar) -> Kind {
        let category = scalar.properties.generalCategory
        // CJK letters only: the katakana middle dot (・) separates words like a space.
        if isCJK(scalar), category == .otherLetter || category == .modifierLetter { return .cjk }
        switch category {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse:
            return .word
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return .mark
        case .connectorPunctuation, .dashPunctuation:
            return .joiner
        case .otherPunctuation, .initialPunctuation, .finalPunctuation:
            // Apostrophes, dots, slashes, ampersands and middle dots join; sentence punctuation
            // (`,` `;` `:` `!` `?`) and `"` (FTS5's string delimiter) separate, as in `foo:bar`.
            return innerJoiners.contains(scalar) ? .joiner : .separator
        default:
            return .separator
        }
    }

    /// The P* characters other than dashes and connectors that join the letters around them.
    static let innerJoiners: Set<Unicode.Scalar> = ["'", "\u{2019}", "\u{2018}", ".", "/", "&", "\u{00B7}", "\u{2027}"]

    static func isGreek(_ scalar: Unicode.Scalar) -> Bool {
        (0x0370...0x03FF).contains(scalar.value) || (0x1F00...0x1FFF).contains(scalar.value)
    }

    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF,
             0x1100...0x11FF, 0x3130...0x318F, 0x20000...0x2FA1F:
            return true
        default:
            return false
        }
    }

    private static func fold(_ text: String, forQuery: Bool) -> String {
        // Most values are plain ASCII words: nothing to do unless punctuation sits inside a word.
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            if !hasInnerPunctuationASCII(utf8) { return text }
            // Every file name ("Title.mp3") and names like "AC/DC": the same rule on bytes.
            if let folded = utf8.withContiguousStorageIfAvailable({ foldASCII($0, forQuery: forQuery) }) { return folded }
        }
        return foldScalars(text, forQuery: forQuery)
    }

    /// `fold` of ASCII text, on its bytes: what `foldScalars` does, without building scalar
    /// arrays and `UnicodeScalarView`s (the fold of every file name took that path, 3 % of a
    /// scan's samples; decision 0039, "Probe threads, fourth round"). For ASCII the general
    /// rule reduces to this: NFC is the text itself, no ASCII letter is transliterated, Greek or
    /// CJK, and the kinds come from the same `asciiKinds` table. `FoldFastPathTests` checks it
    /// against `foldScalars`.
    static func foldASCII(_ bytes: UnsafeBufferPointer<UInt8>, forQuery: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2 + 1)
        var extraParts: [Range<Int>] = []
        func isWordOrMark(_ index: Int) -> Bool {
            let kind = asciiKinds[Int(bytes[index])]
            return kind == .word || kind == .mark
        }
        /// `appendSeparated` of one token.
        func appendSeparated(_ token: some Collection<UInt8>) {
            guard !token.isEmpty else { return }
            if let last = out.last, asciiKinds[Int(last)] != .separator { out.append(0x20) }
            out.append(contentsOf: token)
        }
        var index = 0
        while index < bytes.count {
            if isWordOrMark(index) {
                // A word: letters and digits, with single joiners between them.
                var parts: [Range<Int>] = []
                var partStart = index
                var end = index
                while end < bytes.count {
                    if isWordOrMark(end) {
                        end += 1
                    } else if asciiKinds[Int(bytes[end])] == .joiner, end + 1 < bytes.count, isWordOrMark(end + 1) {
                        parts.append(partStart..<end)
                        end += 1
                        partStart = end
                    } else {
                        break
                    }
                }
                parts.append(partStart..<end)
                if parts.count == 1 {
                    appendSeparated(UnsafeBufferPointer(rebasing: bytes[index..<end]))
                } else {
                    var joined: [UInt8] = []
                    joined.reserveCapacity(end - index)
                    for part in parts { joined.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[part])) }
                    appendSeparated(joined)
                    if !forQuery { extraParts += parts }
                }
                index = end
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        for part in extraParts { appendSeparated(UnsafeBufferPointer(rebasing: bytes[part])) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `fold` by the general rule, scalar by scalar.
    static func foldScalars(_ text: String, forQuery: Bool) -> String {
        let utf8 = text.utf8
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(utf8.count)
        for scalar in text.precomposed.unicodeScalars {
            if scalar.value < 0x80 {
                scalars.append(scalar)  // no ASCII letter is transliterated, none is Greek
            } else if let replacement = transliterations[scalar] {
                scalars.append(contentsOf: replacement.unicodeScalars)
            } else if isGreek(scalar) {
                // `unicode61` leaves Greek accents (tonos, dialytika) on: keep the base letter.
                for part in String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
                where part.properties.generalCategory != .nonspacingMark {
                    scalars.append(part)
                }
            } else {
                scalars.append(scalar)
            }
        }
        let kinds = scalars.map(kind)
        var out = String.UnicodeScalarView()
        var extraParts: [String.UnicodeScalarView] = []
        var index = 0
        while index < scalars.count {
            switch kinds[index] {
            case .cjk:
                var end = index
                while end < scalars.count, kinds[end] == .cjk { end += 1 }
                appendSeparated(&out, cjkRun(scalars[index..<end], forQuery: forQuery))
                index = end
            case .word, .mark:
                // A word: letters, digits and marks, with single joiners between them.
                var parts: [String.UnicodeScalarView] = [String.UnicodeScalarView()]
                var end = index
                while end < scalars.count {
                    switch kinds[end] {
                    case .word, .mark:
                        parts[parts.count - 1].append(scalars[end])
                        end += 1
                        continue
                    case .joiner where end + 1 < scalars.count && (kinds[end + 1] == .word || kinds[end + 1] == .mark):
                        parts.append(String.UnicodeScalarView())
                        end += 1
                        continue
                    default:
                        break
                    }
                    break
                }
                var joined = String.UnicodeScalarView()
                for part in parts { joined.append(contentsOf: part) }
                appendSeparated(&out, [joined])
                if !forQuery, parts.count > 1 { extraParts += parts }
                index = end
            case .joiner, .separator:
                out.append(scalars[index])
                index += 1
            }
        }
        if !extraParts.isEmpty { appendSeparated(&out, extraParts) }
        return String(out)
    }

    /// Appends `tokens` to `out`, each preceded by a space unless `out` already ends with a separator.
    private static func appendSeparated(_ out: inout String.UnicodeScalarView, _ tokens: [String.UnicodeScalarView]) {
        for token in tokens where !token.isEmpty {
            if let last = out.last, kind(last) != .separator { out.append(" ") }
            out.append(contentsOf: token)
        }
    }

    /// Bigrams of a CJK run; the document also gets the last character alone (rule 4).
    private static func cjkRun(_ run: ArraySlice<Unicode.Scalar>, forQuery: Bool) -> [String.UnicodeScalarView] {
        let chars = Array(run)
        guard chars.count > 1 else { return [String.UnicodeScalarView(chars)] }
        var tokens = (0..<(chars.count - 1)).map { String.UnicodeScalarView([chars[$0], chars[$0 + 1]]) }
        if !forQuery { tokens.append(String.UnicodeScalarView([chars[chars.count - 1]])) }
        return tokens
    }

    /// True when an ASCII text has one punctuation character between two letters or digits
    /// (`O'Connor`): the ASCII characters that `kind` calls joiners (`&' - . / _`).
    private static func hasInnerPunctuationASCII(_ utf8: String.UTF8View) -> Bool {
        var state = 0  // 0: start or separator, 1: after a letter or digit, 2: after one joiner that followed one
        for byte in utf8 {
            let isAlnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if isAlnum {
                if state == 2 { return true }
                state = 1
            } else if state == 1, asciiJoiners.contains(byte) {
                state = 2
            } else {
                state = 0
            }
        }
        return false
    }

    private static let asciiJoiners: Set<UInt8> = Set("&'-./_".utf8)
}
