import Analysis
import Foundation

/// A search string, understood: the text terms for the FTS5 index and the filters for SQL.
///
/// Produced by `SearchQueryParser.parse(_:)`; turned into SQL by `SearchSQL`. A pure value.
struct ParsedSearch: Sendable, Equatable {
    /// Text terms, all ANDed, in input order.
    var terms: [SearchTerm] = []
    /// Release year bounds (inclusive); several `year:` filters intersect.
    var yearMin: Int?
    var yearMax: Int?
    /// `codec:flac` (lowercased); several are ORed.
    var codecs: [String] = []
    /// `is:compilation`.
    var compilationOnly = false
    /// `is:favorite`: only the user's favorites (the `favoriteItem` set of user data).
    var favoritesOnly = false
    /// `bpm:` bounds (inclusive; the tag's BPM, else the analysed one); several intersect.
    var bpmMin: Double?
    var bpmMax: Double?
    /// `key:` as Camelot ranks (`AnalysisSearch.rank`); several are ORed.
    var keyRanks: [Int] = []
    /// `compatible:` terms, each the ranks of the keys a DJ mixes with that key (the same
    /// Camelot code, one step either way, the relative major/minor); several intersect.
    var compatibleRanks: [[Int]] = []
    /// `energy:` bounds (inclusive; analysed, 0...1).
    var energyMin: Double?
    var energyMax: Double?
    /// The folded free text (terms without a field), compared with `track.titleKey` so that an
    /// exact title match ranks first. Nil when there is no free text.
    var exactTitleKey: String?
    /// True when a filter (field term or SQL filter) was given.
    var hasFilters: Bool { terms.contains { $0.field != nil } || hasSQLFilters }
    /// True when there are filters that act on `track` columns rather than on the FTS index.
    var hasSQLFilters: Bool {
        yearMin != nil || yearMax != nil || !codecs.isEmpty || compilationOnly || favoritesOnly
            || bpmMin != nil || bpmMax != nil || !keyRanks.isEmpty || !compatibleRanks.isEmpty || energyMin != nil || energyMax != nil
    }
    /// True when nothing constrains the search: the whole library is listed.
    var isEmpty: Bool { terms.isEmpty && !hasSQLFilters }
}

/// One text term: a word, a phrase, or the value of a field filter such as `artist:"guns n roses"`.
struct SearchTerm: Sendable, Equatable {
    /// The FTS5 column this term is restricted to, or nil for all columns.
    var field: SearchField?
    /// The term's text, NFC, as typed (the FTS5 tokenizer folds case and diacritics).
    var text: String
    /// Matches tokens that start with the term's last token (the word being typed, CJK runs).
    var prefix: Bool
    /// True when the term came from a `"quoted phrase"` (without a field).
    var isPhrase: Bool = false
    /// The term as it appeared in the input, for rebuilding a "did you mean" suggestion.
    var source: String
}

/// The fields a `field:value` term may name, and the FTS5 column each maps to.
enum SearchField: String, Sendable, Equatable, CaseIterable {
    case title, artist, album, albumartist, genre, composer

    /// The `trackFts` column.
    var column: String {
        switch self {
        case .title: "title"
        case .artist: "artist"
        case .album: "album"
        case .albumartist: "albumArtist"
        case .genre: "genreText"
        case .composer: "composer"
        }
    }
}

/// Parses the search language. Pure and total: every input gives a `ParsedSearch`, never an error.
///
/// Grammar (informal):
/// - Words are separated by white space; all terms are ANDed.
/// - `"a phrase"` matches the words in sequence; an unclosed quote runs to the end of the input.
/// - `artist:x`, `album:x`, `title:x`, `genre:x`, `albumartist:x`, `composer:x` restrict a term to
///   one column; the value may be quoted (`artist:"guns n roses"`). A field with an empty value is
///   ignored (the user is still typing).
/// - `year:1990`, `year:1990..1999` (also `1990-1999`, reversed, or open: `1990..`, `..1999`), `year:>=2000`, `year:>2000`, `year:<1980`, `year:<=1980`.
/// - `codec:flac`, `is:compilation`, `is:favorite`.
/// - From the analysis (decision 0031): `bpm:120..130` (also `bpm:120`, `>120`, `<=130`; a tagged
///   BPM wins over the analysed one), `key:Am` / `key:8A` / `key:1m` / `key:"F# minor"` (a tagged
///   key wins when it reads as one), `energy:>0.7` (`0.2..0.5`, `<0.3`).
/// - Anything else, `foo:bar` and malformed filters included, is plain text.
/// - The last term is a prefix (results follow typing); earlier terms are whole tokens, except
///   terms with CJK characters, which are always prefixes because the unicode61 tokenizer keeps a
///   run of CJK characters as one token.
/// - Characters the tokenizer ignores (punctuation, emoji) are separators; a term made only of
///   them is dropped. Control characters are removed. At most `maxTerms` terms of at most
///   `maxTermLength` characters are kept (the rest is ignored), which bounds the work of a huge input.
enum SearchQueryParser {
    static let maxTerms = 32
    static let maxTermLength = 200

    static func parse(_ input: String) -> ParsedSearch {
        var result = ParsedSearch()
        let lexemes = lex(clean(input))
        var freeTexts: [String] = []
        for (index, lexeme) in lexemes.enumerated() {
            guard result.terms.count < maxTerms else { break }
            let isLast = index == lexemes.count - 1
            if let term = filterOrTerm(lexeme, isLast: isLast, into: &result) {
                guard SearchTokenizer.hasToken(term.text) else { continue }
                if term.field == nil { freeTexts.append(term.text) }
                result.terms.append(term)
            }
        }
        if !freeTexts.isEmpty {
            result.exactTitleKey = TextKey.fold(freeTexts.joined(separator: " "))
        }
        return result
    }

    // MARK: - Lexing

    /// One white-space separated piece of input.
    struct Lexeme: Equatable {
        /// For `key:value` lexemes, the key (as typed); nil otherwise.
        var key: String?
        /// The value (the whole word, the phrase or the field's value), quotes removed.
        var value: String
        /// The value was quoted.
        var quoted: Bool
        /// The value was quoted and the closing quote is missing (the user is typing it).
        var open: Bool
        /// The lexeme as it appeared in the input.
        var source: String
    }

    /// NFC, control characters turned into spaces (a NUL would end the FTS5 string early).
    static func clean(_ input: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in input.precomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .surrogate {
                out.append(" ")
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func lex(_ text: String) -> [Lexeme] {
        var lexemes: [Lexeme] = []
        let chars = Array(text)
        var i = 0
        func readQuoted(from start: Int) -> (value: String, open: Bool, end: Int) {
            // `start` is just after the opening quote.
            var j = start
            while j < chars.count, chars[j] != "\"" { j += 1 }
            let value = String(chars[start..<j])
            return j < chars.count ? (value, false, j + 1) : (value, true, j)
        }
        while i < chars.count {
            if chars[i].isWhitespace { i += 1; continue }
            let start = i
            if chars[i] == "\"" {
                let (value, open, end) = readQuoted(from: i + 1)
                lexemes.append(Lexeme(key: nil, value: value, quoted: true, open: open, source: String(chars[start..<end])))
                i = end
                continue
            }
            // A word; `key:"quoted value"` keeps its quoted value whole.
            var j = i
            var colon: Int?
            while j < chars.count, !chars[j].isWhitespace {
                if chars[j] == ":", colon == nil {
                    colon = j
                    if j + 1 < chars.count, chars[j + 1] == "\"", j > start {
                        let (value, open, end) = readQuoted(from: j + 2)
                        lexemes.append(Lexeme(key: String(chars[start..<j]), value: value, quoted: true, open: open,
                                              source: String(chars[start..<end])))
                        i = end
                        colon = nil
                        j = -1
                        break
                    }
                }
                j += 1
            }
            if j == -1 { continue }
            let word = String(chars[start..<j])
            if let colon, colon > start {
                lexemes.append(Lexeme(key: String(chars[start..<colon]), value: String(chars[(colon + 1)..<j]),
                                      quoted: false, open: false, source: word))
            } else {
                lexemes.append(Lexeme(key: nil, value: word, quoted: false, open: false, source: word))
            }
            i = j
        }
        return lexemes
    }

    // MARK: - Filters and terms

    /// Applies a filter lexeme to `result`, or returns the text term it stands for (nil when the
    /// lexeme was a filter or must be ignored).
    static func filterOrTerm(_ lexeme: Lexeme, isLast: Bool, into result: inout ParsedSearch) -> SearchTerm? {
        let value = String(lexeme.value.prefix(maxTermLength))
        let hasCJK = SearchTokenizer.containsCJK(value)
        let prefix = hasCJK || (isLast && (!lexeme.quoted || lexeme.open))
        guard let key = lexeme.key?.lowercased() else {
            return SearchTerm(field: nil, text: value, prefix: prefix, isPhrase: lexeme.quoted, source: lexeme.source)
        }
        let plain = SearchTerm(field: nil, text: String(lexeme.source.prefix(maxTermLength)), prefix: prefix, source: lexeme.source)
        if let field = SearchField(rawValue: key) {
            if value.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            return SearchTerm(field: field, text: value, prefix: prefix, source: lexeme.source)
        }
        switch key {
        case "year":
            guard let (low, high) = parseYears(value) else { return plain }
            result.yearMin = max(result.yearMin ?? low, low)
            result.yearMax = min(result.yearMax ?? high, high)
            return nil
        case "codec":
            let codec = value.lowercased()
            guard !codec.isEmpty, codec.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return plain }
            result.codecs.append(codec)
            return nil
        case "bpm":
            guard let (low, high) = AnalysisSearch.range(value, single: 0.5) else { return plain }
            result.bpmMin = max(result.bpmMin ?? low, low)
            result.bpmMax = min(result.bpmMax ?? high, high)
            return nil
        case "energy":
            guard let (low, high) = AnalysisSearch.range(value, single: 0) else { return plain }
            result.energyMin = max(result.energyMin ?? low, low)
            result.energyMax = min(result.energyMax ?? high, high)
            return nil
        case "key":
            guard let key = MusicalKey(parsing: value) else { return plain }
            result.keyRanks.append(AnalysisSearch.rank(key))
            return nil
        case "compatible":
            guard let key = MusicalKey(parsing: value) else { return plain }
            result.compatibleRanks.append(AnalysisSearch.compatibleRanks(key))
            return nil
        case "is":
            switch value.lowercased() {
            case "compilation": result.compilationOnly = true
            case "favorite", "favourite": result.favoritesOnly = true
            default: return plain
            }
            return nil
        default:
            return plain
        }
    }

    /// `1990`, `1990..1999`, `1990-1999`, a reversed range (`1999..1990`, `1999-1990`), an open
    /// range (`1990..`, `..1999`), `>=2000`, `>2000`, `<1980`, `<=1980` → inclusive bounds.
    /// These are exactly the forms `docs/api/openapi.json` and decision 0005 list.
    static func parseYears(_ value: String) -> (Int, Int)? {
        func year(_ text: Substring) -> Int? {
            guard (1...4).contains(text.count), text.allSatisfy(\.isASCII), let y = Int(text), y >= 0 else { return nil }
            return y
        }
        let anyLow = Int(Int32.min), anyHigh = Int(Int32.max)
        // `..` first (it may be open on either side), then a dash between two years: people
        // write ranges both ways and in either order.
        if let range = value.range(of: "..") ?? value.range(of: "-", options: [], range: value.index(value.startIndex, offsetBy: min(1, value.count))..<value.endIndex) {
            let left = value[..<range.lowerBound], right = value[range.upperBound...]
            let isDots = value[range] == ".."
            switch (year(left), year(right)) {
            case let (low?, high?): return (min(low, high), max(low, high))
            case let (low?, nil) where isDots && right.isEmpty: return (low, anyHigh)
            case let (nil, high?) where isDots && left.isEmpty: return (anyLow, high)
            default: return nil
            }
        }
        for (op, bounds) in [(">=", { (y: Int) in (y, anyHigh) }), ("<=", { (y: Int) in (anyLow, y) }),
                             (">", { (y: Int) in (y + 1, anyHigh) }), ("<", { (y: Int) in (anyLow, y - 1) })] {
            if value.hasPrefix(op) {
                guard let y = year(value.dropFirst(op.count)) else { return nil }
                return bounds(y)
            }
        }
        guard let y = year(Substring(value)) else { return nil }
        return (y, y)
    }
}

/// What the FTS5 `unicode61` tokenizer considers a token, mimicked in Swift for the query side:
/// letters (L*), numbers (N*) and private-use characters (Co) are token characters, combining
/// marks stay with their letter; everything else separates tokens.
enum SearchTokenizer {
    static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse:
            return true
        default:
            return false
        }
    }

    /// True when `text` holds at least one token character (else the FTS5 phrase would be empty).
    static func hasToken(_ text: String) -> Bool { text.unicodeScalars.contains(where: isTokenScalar) }

    /// The tokens of `text`, folded as the index folds them (case and diacritics removed).
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in TextKey.fold(text).unicodeScalars {
            if isTokenScalar(scalar) {
                current.append(scalar)
            } else if scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .spacingMark {
                continue
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// True when `text` contains Han, Hiragana, Katakana or Hangul characters.
    static func containsCJK(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF,
                 0x1100...0x11FF, 0x3130...0x318F, 0x20000...0x2FA1F:
                return true
            default:
                return false
            }
        }
    }
}
