/// Parsers for the values of tags: numbers, dates, booleans, gains, genres.
///
/// Every function is total: junk gives nil (or an empty list), never a crash.
enum TagValues {
    /// "3", "03", "3/12", " 3 / 12 " → (3, 12); zero and junk are nil.
    static func numberPair(_ text: String) -> (Int?, Int?) {
        // ASCII on its bytes: "/", spaces, tabs and digits are one Character each, and a
        // Character of ASCII ("\r\n" too) is a digit only when it is one byte 0-9 (decision
        // 0039, "Probe threads, fourth round"; FastPathTests).
        let fast = text.utf8.withContiguousStorageIfAvailable { bytes -> (Int?, Int?)? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return (positiveInteger(bytes), nil) }
            return (positiveInteger(UnsafeBufferPointer(rebasing: bytes[..<slash])),
                    positiveInteger(UnsafeBufferPointer(rebasing: bytes[(slash + 1)...])))
        }
        if let fast, let pair = fast { return pair }
        return numberPairByCharacters(text)
    }

    /// `numberPair` by the general rule, on Characters.
    static func numberPairByCharacters(_ text: String) -> (Int?, Int?) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let first = parts.first.flatMap { positiveIntegerByCharacters(String($0)) }
        let second = parts.count > 1 ? positiveIntegerByCharacters(String(parts[1])) : nil
        return (first, second)
    }

    /// The leading decimal integer of `text` (after whitespace) when positive.
    static func positiveInteger(_ text: String) -> Int? {
        let fast = text.utf8.withContiguousStorageIfAvailable { bytes -> Int?? in
            bytes.allSatisfy({ $0 < 0x80 }) ? .some(positiveInteger(bytes)) : nil
        }
        if let fast, let value = fast { return value }
        return positiveIntegerByCharacters(text)
    }

    /// `positiveInteger` of ASCII bytes.
    static func positiveInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
        var value = 0
        var count = 0
        while index < bytes.count, count < 9, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + Int(bytes[index] - 0x30)
            count += 1
            index += 1
        }
        return value > 0 ? value : nil
    }

    /// `positiveInteger` by the general rule, on Characters.
    static func positiveIntegerByCharacters(_ text: String) -> Int? {
        let digits = text.drop(while: { $0 == " " || $0 == "\t" }).prefix(while: { $0.isASCII && $0.isNumber }).prefix(9)
        guard let value = Int(digits), value > 0 else { return nil }
        return value
    }

    /// The leading decimal number of `text` ("-6.50 dB" → -6.5, "0.98" → 0.98, "120" → 120).
    static func decimal(_ text: String) -> Double? {
        let trimmed = text.drop(while: { $0 == " " || $0 == "\t" })
        let number = trimmed.prefix(while: { "+-.0123456789eE".contains($0) })
        guard let value = Double(number), value.isFinite else {
            // Some writers use a decimal comma ("-6,50 dB").
            let comma = trimmed.prefix(while: { "+-,0123456789".contains($0) }).replacingOccurrences(",", ".")
            return Double(comma).flatMap { $0.isFinite ? $0 : nil }
        }
        return value
    }

    /// Opus R128 gain (Q7.8 fixed point, relative to -23 LUFS) as a ReplayGain gain in dB
    /// (relative to -18 LUFS): `r128 / 256 + 5`.
    static func r128ToReplayGain(_ text: String) -> Double? {
        let trimmed = text.trimmingSpaces
        guard let q78 = Int(trimmed), (-32768...32767).contains(q78) else { return nil }
        return Double(q78) / 256 + 5
    }

    /// "1", "true", "yes" (any case) and any non-zero number are true.
    static func bool(_ text: String) -> Bool {
        let lower = text.trimmingSpaces.lowercased()
        if ["true", "yes", "y"].contains(lower) { return true }
        if let number = Int(lower) { return number != 0 }
        return false
    }

    /// Combines ID3v2.3 TYER ("2001") and TDAT ("DDMM") into "2001-MM-DD" when both are sane.
    static func mergeID3v23Date(year: String, ddmm: String) -> String {
        let digits = Array(ddmm.trimmingSpaces)
        guard digits.count == 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              year.trimmingSpaces.count == 4 else { return year }
        return "\(year.trimmingSpaces)-\(String(digits[2...3]))-\(String(digits[0...1]))"
    }

    /// Normalizes a date tag to `YYYY`, `YYYY-MM` or `YYYY-MM-DD` and extracts the year.
    ///
    /// Accepts ISO forms with `-`, `/` or `.` ("2001-05-03", "2001/05", "2001-05-03T10:00:00Z"),
    /// compact "20010503", and otherwise takes the first standalone four-digit year in the text
    /// ("03/05/2001", "May 2001", "(p) 1999 Label"), whose day/month order is ambiguous, so only
    /// the year is kept.
    static func date(_ text: String) -> (date: String?, year: Int?) {
        // ASCII without a carriage return (which joins a following line feed into one
        // Character) has one Character per byte: the same rule on bytes (decision 0039,
        // "Probe threads, fourth round"; `FastPathTests` checks it against `dateByCharacters`).
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0D }),
           let parsed = utf8.withContiguousStorageIfAvailable({ dateASCII($0) }) {
            return parsed
        }
        return dateByCharacters(text)
    }

    /// `date` of ASCII text without a carriage return, on its bytes.
    static func dateASCII(_ text: UnsafeBufferPointer<UInt8>) -> (date: String?, year: Int?) {
        // trimmingSpaces: White_Space (tab to carriage return, space) and NUL at both ends.
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0 || (0x09...0x0D).contains(byte) }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
            return (nil, nil)
        }
        return dateRule(UnsafeBufferPointer(rebasing: text[first...last]))
    }

    /// `date` by the general rule, on Characters: each becomes one unit, its ASCII value, or
    /// 0xFF when it is anything else (a letter with a combining mark, a non-ASCII digit), which
    /// is never a digit or a separator. The rule reads digits and separators only, and what it
    /// returns is made of digits, so the units say everything the Characters would.
    static func dateByCharacters(_ text: String) -> (date: String?, year: Int?) {
        let units = Array(text.trimmingSpaces).map { $0.asciiValue ?? 0xFF }
        return units.withUnsafeBufferPointer { dateRule($0) }
    }

    /// The date rule on trimmed units (one per Character; `date`).
    private static func dateRule(_ chars: UnsafeBufferPointer<UInt8>) -> (date: String?, year: Int?) {
        func isDigit(_ index: Int) -> Bool { index < chars.count && chars[index] >= 0x30 && chars[index] <= 0x39 }
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= chars.count else { return nil }
            var value = 0
            for index in start..<(start + count) {
                guard isDigit(index) else { return nil }
                value = value * 10 + Int(chars[index] - 0x30)
            }
            return value
        }
        func string(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: chars[range]), as: UTF8.self) }
        func isDateSeparator(_ index: Int) -> Bool {
            chars[index] == UInt8(ascii: "-") || chars[index] == UInt8(ascii: "/") || chars[index] == UInt8(ascii: ".")
        }
        func plausibleYear(_ year: Int) -> Bool { (1000...2999).contains(year) }

        if let year = digits(0, 4), plausibleYear(year), !isDigit(4) || chars.count == 8 {
            let yyyy = string(0..<4)
            // Compact YYYYMMDD.
            if chars.count == 8, let month = digits(4, 2), let day = digits(6, 2), (1...12).contains(month), (1...31).contains(day) {
                return ("\(yyyy)-\(string(4..<6))-\(string(6..<8))", year)
            }
            if !isDigit(4) {
                if chars.count > 4, isDateSeparator(4), let month = digits(5, 2), (1...12).contains(month), !isDigit(7) {
                    if chars.count > 7, isDateSeparator(7), let day = digits(8, 2), (1...31).contains(day), !isDigit(10) {
                        return ("\(yyyy)-\(string(5..<7))-\(string(8..<10))", year)
                    }
                    return ("\(yyyy)-\(string(5..<7))", year)
                }
                return (yyyy, year)
            }
        }
        // Anywhere else: the first run of exactly four digits that is a plausible year.
        var index = 0
        while index < chars.count {
            guard isDigit(index) else { index += 1; continue }
            var end = index
            while isDigit(end) { end += 1 }
            if end - index == 4, let year = digits(index, 4), plausibleYear(year) {
                return (String(year), year)
            }
            index = end
        }
        return (nil, nil)
    }

    /// Genre names from raw genre values: ID3 numeric references ("(17)", "17", "(17)(18)Rock",
    /// "(RX)") become names from the ID3v1 table, then values are split (`Separators`, genre rule).
    static func genres(_ values: [String]) -> [String] {
        var names: [String] = []
        for value in values {
            let expanded = id3GenreNames(value)
            // Table names are whole names ("Pop/Funk" is ID3 genre 62): never split them.
            names.append(contentsOf: expanded.table)
            if let text = expanded.text { names.append(contentsOf: Separators.split(text, field: .genres)) }
        }
        return Separators.unique(names)
    }

    /// Expands ID3 genre references in one value into table names, plus the remaining free text.
    static func id3GenreNames(_ value: String) -> (table: [String], text: String?) {
        let text = value.trimmingSpaces
        if !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            if let index = Int(text), let name = ID3Genres.name(index) { return ([name], nil) }
            return ([], text)
        }
        var rest = Substring(text)
        var out: [String] = []
        while rest.hasPrefix("(") && !rest.hasPrefix("((") {
            guard let close = rest.firstIndex(of: ")") else { break }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            if let index = Int(inner), let name = ID3Genres.name(index) {
                out.append(name)
            } else if inner == "RX" {
                out.append("Remix")
            } else if inner == "CR" {
                out.append("Cover")
            } else {
                break
            }
            rest = rest[rest.index(after: close)...]
        }
        if rest.hasPrefix("((") { rest = rest.dropFirst() }
        return (out, rest.trimmingSpaces.isEmpty ? nil : String(rest))
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs, newlines and NULs.
    var trimmingSpaces: String {
        // ASCII on its bytes: white space and NUL there are one byte each, and a "\r\n"
        // Character is two white-space bytes (decision 0039, "Probe threads, fourth round";
        // FastPathTests checks every ASCII character).
        let fast = utf8.withContiguousStorageIfAvailable { bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0 || (0x09...0x0D).contains(byte) }
            guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else {
                return ""
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[first...last]), as: UTF8.self)
        }
        if let fast, let trimmed = fast { return trimmed }
        return trimmingSpacesByCharacters
    }

    /// `trimmingSpaces` by the general rule, on Characters.
    var trimmingSpacesByCharacters: String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace || $0 == "\u{0}" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

extension Substring {
    fileprivate func replacingOccurrences(_ target: Character, _ replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
