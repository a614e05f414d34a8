import Foundation

/// The one place strings from files are made presentable.
enum TextCleaning {
    /// Trims whitespace and NULs, NFC-normalizes (so "Björk" typed on a Mac and on Linux compare
    /// equal), and returns nil for what is left empty.
    static func clean(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{0}")))
        guard !trimmed.isEmpty else { return nil }
        return trimmed.precomposedStringWithCanonicalMapping
    }
}
