import Foundation
import OmniModel

/// The one place strings from files are made presentable.
enum TextCleaning {
    /// Trims whitespace and NULs, NFC-normalizes (so "Björk" typed on a Mac and on Linux compare
    /// equal), and returns nil for what is left empty.
    static func clean(_ text: String) -> String? {
        // Fast path (most tags): ASCII without edge whitespace is already trimmed and NFC.
        let utf8 = text.utf8
        if let first = utf8.first, let last = utf8.last, first > 0x20, last > 0x20,
           utf8.allSatisfy({ $0 < 0x80 }) {
            return text
        }
        let trimmed = text.trimmingCharacters(in: edges)
        guard !trimmed.isEmpty else { return nil }
        return trimmed.precomposed
    }

    /// What `clean` trims: made once, not for every value (decision 0039).
    private static let edges = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{0}"))

    /// True when `text` has something besides whitespace and NULs (cheaper than `clean`).
    static func hasContent(_ text: String) -> Bool {
        // ASCII without the Unicode property lookup (the normaliser asks this of every value):
        // the ASCII White_Space characters are exactly tab to carriage return and space.
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            return utf8.contains { $0 != 0x20 && $0 != 0 && !(0x09...0x0D).contains($0) }
        }
        return text.unicodeScalars.contains { !$0.properties.isWhitespace && $0 != "\u{0}" }
    }
}
