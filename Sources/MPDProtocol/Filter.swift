import Foundation
import Glibc
import LocalStore

/// A song filter: MPD's filter expressions (`(artist == 'X')`, `(!(…))`, `((…) AND (…))`,
/// `(base 'dir')`, `(modified-since '…')`, `(added-since '…')`) and its older tag/value pairs.
///
/// `foldCase` (the `search` family) compares case- and accent-insensitively (`TextKey.fold`);
/// `find` compares exactly.
public indirect enum Filter: Sendable {
    public enum Operator: Sendable {
        case equal, notEqual, contains, startsWith
        case regex(NSRegularExpressionBox), notRegex(NSRegularExpressionBox)
    }

    /// A tag, `any` tag (nil), or the file's URI.
    public enum Subject: Sendable, Hashable {
        case tag(Tag)
        case any
        case file
    }

    case compare(Subject, Operator, String)
    case base(String)
    case modifiedSince(Int64)
    case addedSince(Int64)
    case not(Filter)
    case and([Filter])

    /// The positions in `index.songs` of the songs that pass, in order.
    func positions(in index: SongIndex, foldCase: Bool) -> [Int] {
        let filter = prepared(foldCase: foldCase)
        // One comparison (`find artist X`, `search any love`): the index's column is fetched
        // once, not once per song.
        if case let .compare(subject, op, value) = filter {
            switch op {
            case .regex, .notRegex: break
            default:
                let column = foldCase ? index.foldedValues(subject) : index.values(subject)
                return column.indices.filter { Self.compare(column[$0], op, value) }
            }
        }
        return index.songs.indices.filter { filter.matches(at: $0, in: index, foldCase: foldCase) }
    }

    /// The filter with its compared values folded once (`TextKey.fold`) when `foldCase`, as
    /// `matches(at:in:foldCase:)` wants them; regular expressions keep their text.
    func prepared(foldCase: Bool) -> Filter {
        guard foldCase else { return self }
        switch self {
        case let .compare(subject, op, value):
            switch op {
            case .regex, .notRegex: return self
            default: return .compare(subject, op, TextKey.fold(value))
            }
        case .not(let inner): return .not(inner.prepared(foldCase: true))
        case .and(let all): return .and(all.map { $0.prepared(foldCase: true) })
        case .base, .modifiedSince, .addedSince: return self
        }
    }

    /// True when the song at position `i` of `index` passes. With `foldCase`, the filter must
    /// come from `prepared(foldCase: true)`; the songs' folded values come from the index's cache.
    func matches(at i: Int, in index: SongIndex, foldCase: Bool) -> Bool {
        switch self {
        case let .compare(subject, op, value):
            switch op {
            case .regex(let r): return Self.anyValue(index.values(subject)[i]) { r.matches($0) }
            case .notRegex(let r): return !Self.anyValue(index.values(subject)[i]) { r.matches($0) }
            default:
                let values = foldCase ? index.foldedValues(subject)[i] : index.values(subject)[i]
                return Self.compare(values, op, value)
            }
        case .base(let folder):
            let f = SongIndex.normalize(folder)
            return f.isEmpty || index.songs[i].uri.hasPrefix(f + "/")
        case .modifiedSince(let t): return index.songs[i].modified >= t
        case .addedSince(let t): return Int64(index.songs[i].track.addedAt.timeIntervalSince1970) >= t
        case .not(let inner): return !inner.matches(at: i, in: index, foldCase: foldCase)
        case .and(let all): return all.allSatisfy { $0.matches(at: i, in: index, foldCase: foldCase) }
        }
    }

    /// The values a comparison of `subject` looks at: the tag's `matchValues`, every tag's
    /// values for `any`, the URI for `file`.
    static func values(of song: Song, _ subject: Subject) -> [String] {
        switch subject {
        case .tag(let tag): return song.matchValues(tag)
        case .file: return [song.uri]
        case .any: return Tag.allCases.flatMap { song.values($0) }
        }
    }

    /// A missing tag compares as the empty string (`(Album == '')` finds songs without one).
    private static func anyValue(_ values: [String], _ test: (String) -> Bool) -> Bool {
        values.isEmpty ? test("") : values.contains(where: test)
    }

    /// Compares values with `wanted` (both already folded for the `search` family).
    private static func compare(_ values: [String], _ op: Operator, _ wanted: String) -> Bool {
        switch op {
        case .equal: return anyValue(values) { $0 == wanted }
        case .notEqual: return !anyValue(values) { $0 == wanted }
        case .contains: return anyValue(values) { contains($0, wanted) }
        case .startsWith: return anyValue(values) { $0.hasPrefix(wanted) }
        case .regex(let r): return anyValue(values) { r.matches($0) }
        case .notRegex(let r): return !anyValue(values) { r.matches($0) }
        }
    }

    /// Whether `text`'s UTF-8 holds `part`'s (bytes, as MPD compares; this is the inner loop of
    /// `search any`, where `String.contains` compared characters at several times the cost).
    static func contains(_ text: String, _ part: String) -> Bool {
        var text = text, part = part
        return part.withUTF8 { p in
            guard let first = p.first else { return true }
            return text.withUTF8 { t in
                guard t.count >= p.count else { return false }
                for i in 0...(t.count - p.count) where t[i] == first {
                    if memcmp(t.baseAddress! + i, p.baseAddress!, p.count) == 0 { return true }
                }
                return false
            }
        }
    }

    // MARK: - Parsing

    /// Parses the arguments of `find`, `search`, `count`, `list`, `findadd`, `searchadd`:
    /// either one filter expression or tag/value pairs. Stops at `sort`, `window` or `group`
    /// and returns the rest.
    ///
    /// - Throws: `MPDError.arg` with MPD's wording for a bad expression or an unknown tag.
    static func parse(_ arguments: [String], legacyContains: Bool, foldCase: Bool = false) throws(MPDError) -> (filter: Filter?, rest: [String]) {
        var parts: [Filter] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            let lower = a.lowercased()
            if ["sort", "window", "group"].contains(lower) { break }
            if a.hasPrefix("(") {
                var parser = ExpressionParser(text: Array(a.unicodeScalars))
                parser.foldCase = foldCase
                parts.append(try parser.parseExpression())
                try parser.end()
                i += 1
                continue
            }
            guard i + 1 < arguments.count else { throw MPDError.arg("Incorrect number of filter arguments") }
            let value = arguments[i + 1]
            switch lower {
            case "any": parts.append(.compare(.any, legacyContains ? .contains : .equal, value))
            case "file": parts.append(.compare(.file, .equal, value))
            case "base": parts.append(.base(value))
            case "modified-since":
                guard let t = Song.parseTime(value) else { throw MPDError.arg("Invalid timestamp") }
                parts.append(.modifiedSince(t))
            case "added-since":
                guard let t = Song.parseTime(value) else { throw MPDError.arg("Invalid timestamp") }
                parts.append(.addedSince(t))
            default:
                guard let tag = Tag.named(a) else { throw MPDError.arg("Unknown filter type: \(a)") }
                parts.append(.compare(.tag(tag), legacyContains ? .contains : .equal, value))
            }
            i += 2
        }
        let filter: Filter? = parts.isEmpty ? nil : parts.count == 1 ? parts[0] : .and(parts)
        return (filter, Array(arguments[i...]))
    }
}

/// A compiled regular expression that may cross threads (it is only read).
public final class NSRegularExpressionBox: @unchecked Sendable {
    let expression: NSRegularExpression

    init(_ pattern: String, caseInsensitive: Bool) throws(MPDError) {
        do {
            expression = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw MPDError.arg("Invalid regular expression")
        }
    }

    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// MPD's filter expression grammar (`src/song/Filter.cxx`, `ParseExpression`).
struct ExpressionParser {
    let text: [Unicode.Scalar]
    var i = 0
    /// Regular expressions ignore case (the `search` family).
    var foldCase = false

    init(text: [Unicode.Scalar]) { self.text = text }

    mutating func skipSpace() { while i < text.count, text[i] == " " || text[i] == "\t" { i += 1 } }

    mutating func end() throws(MPDError) {
        skipSpace()
        guard i == text.count else { throw MPDError.arg("Unparsed garbage after expression") }
    }

    mutating func expect(_ c: Unicode.Scalar, _ message: String) throws(MPDError) {
        skipSpace()
        guard i < text.count, text[i] == c else { throw MPDError.arg(message) }
        i += 1
    }

    mutating func parseExpression() throws(MPDError) -> Filter {
        try expect("(", "'(' expected")
        skipSpace()
        guard i < text.count else { throw MPDError.arg("Unexpected end of expression") }
        if text[i] == "(" {
            var all = [try parseExpression()]
            while true {
                skipSpace()
                if i < text.count, text[i] == ")" { i += 1; break }
                guard word() == "AND" else { throw MPDError.arg("'AND' expected") }
                all.append(try parseExpression())
            }
            return all.count == 1 ? all[0] : .and(all)
        }
        if text[i] == "!" {
            i += 1
            let inner = try parseExpression()
            try expect(")", "')' expected")
            return .not(inner)
        }
        let name = word()
        guard !name.isEmpty else { throw MPDError.arg("Word expected") }
        let lower = name.lowercased()
        if lower == "base" || lower == "modified-since" || lower == "added-since" {
            let value = try quoted()
            try expect(")", "')' expected")
            if lower == "base" { return .base(value) }
            guard let t = Song.parseTime(value) else { throw MPDError.arg("Invalid timestamp") }
            return lower == "modified-since" ? .modifiedSince(t) : .addedSince(t)
        }
        let subject: Filter.Subject
        if lower == "file" { subject = .file } else if lower == "any" { subject = .any } else {
            guard let tag = Tag.named(name) else { throw MPDError.arg("Unknown filter type: \(name)") }
            subject = .tag(tag)
        }
        skipSpace()
        let opText = operatorWord()
        let value = try quoted()
        try expect(")", "')' expected")
        let op: Filter.Operator
        switch opText {
        case "==": op = .equal
        case "!=": op = .notEqual
        case "contains": op = .contains
        case "starts_with": op = .startsWith
        case "=~": op = .regex(try NSRegularExpressionBox(value, caseInsensitive: foldCase))
        case "!~": op = .notRegex(try NSRegularExpressionBox(value, caseInsensitive: foldCase))
        default: throw MPDError.arg("Unknown filter operator: \(opText)")
        }
        return .compare(subject, op, value)
    }

    /// Letters, digits, `_` and `-`.
    mutating func word() -> String {
        skipSpace()
        var out = String.UnicodeScalarView()
        while i < text.count, text[i].properties.isAlphabetic || ("0"..."9").contains(text[i]) || text[i] == "_" || text[i] == "-" {
            out.append(text[i])
            i += 1
        }
        return String(out)
    }

    mutating func operatorWord() -> String {
        skipSpace()
        var out = String.UnicodeScalarView()
        while i < text.count, text[i] != " ", text[i] != "'", text[i] != "\"" {
            out.append(text[i])
            i += 1
        }
        return String(out)
    }

    /// A value in `'…'` or `"…"`; `\` escapes the next character.
    mutating func quoted() throws(MPDError) -> String {
        skipSpace()
        guard i < text.count, text[i] == "'" || text[i] == "\"" else { throw MPDError.arg("Quoted string expected") }
        let quote = text[i]
        i += 1
        var out = String.UnicodeScalarView()
        while i < text.count {
            let c = text[i]
            if c == "\\" {
                i += 1
                guard i < text.count else { break }
                out.append(text[i])
            } else if c == quote {
                i += 1
                return String(out)
            } else {
                out.append(c)
            }
            i += 1
        }
        throw MPDError.arg("Closing quote not found")
    }
}
