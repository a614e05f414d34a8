import OmniModel

/// The title of an untagged file, from its name.
///
/// The rule is the corpus's (and what users expect from "03 - Song.mp3"): drop the extension,
/// then remove a leading track number matched by
/// `^\s*(?:\d+[-.])?\d+\s*(?:-\s+|\.\s*|\s+)` ("03 - ", "1-03 ", "04. ", "7 ").
/// Implemented by hand (the regex is tiny) so it costs nothing per file and keeps no shared state.
enum TitleFromFileName {
    /// The title for a file name (a last path component; a full path also works).
    static func title(_ fileName: RawPath) -> String {
        let name = fileName.lastComponent.displayString
        let base = dropExtension(name)
        let stripped = stripLeadingNumber(base)
        return TextCleaning.clean(stripped) ?? TextCleaning.clean(base) ?? base
    }

    /// `name` without its last ".ext"; leading dots do not start an extension (".hidden").
    static func dropExtension(_ name: String) -> String {
        let chars = Array(name)
        guard let dot = chars.lastIndex(of: "."), chars[..<dot].contains(where: { $0 != "." }) else { return name }
        return String(chars[..<dot])
    }

    /// Applies the leading-number regex once, at the start.
    static func stripLeadingNumber(_ text: String) -> String {
        let chars = Array(text)
        func isDigit(_ i: Int) -> Bool { i < chars.count && chars[i].unicodeScalars.count == 1 && chars[i].unicodeScalars.first!.properties.numericType == .decimal }
        func isSpace(_ i: Int) -> Bool { i < chars.count && chars[i].isWhitespace }
        func digitsEnd(_ i: Int) -> Int { var j = i; while isDigit(j) { j += 1 }; return j }
        func spacesEnd(_ i: Int) -> Int { var j = i; while isSpace(j) { j += 1 }; return j }
        // After the number: \s*(?:-\s+|\.\s*|\s+), returning where the match ends.
        func separatorEnd(_ k: Int) -> Int? {
            let afterSpaces = spacesEnd(k)
            if afterSpaces < chars.count, chars[afterSpaces] == "-", isSpace(afterSpaces + 1) { return spacesEnd(afterSpaces + 1) }
            if afterSpaces < chars.count, chars[afterSpaces] == "." { return spacesEnd(afterSpaces + 1) }
            if afterSpaces > k { return afterSpaces }
            return nil
        }
        let start = spacesEnd(0)
        let firstEnd = digitsEnd(start)
        guard firstEnd > start else { return text }
        // (?:\d+[-.])?\d+ — try with the optional disc prefix first, as the regex engine does.
        if firstEnd < chars.count, chars[firstEnd] == "-" || chars[firstEnd] == "." {
            let secondEnd = digitsEnd(firstEnd + 1)
            if secondEnd > firstEnd + 1, let end = separatorEnd(secondEnd) { return String(chars[end...]) }
        }
        if let end = separatorEnd(firstEnd) { return String(chars[end...]) }
        return text
    }
}
