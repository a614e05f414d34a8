import Foundation

/// Folding of names into comparison keys.
///
/// Keys are used for grouping (one artist row for "Björk" and "BJÖRK"), exact-title ranking and
/// sorting. They must agree with what the FTS5 tokenizer (`unicode61 remove_diacritics 2`)
/// considers equal: case and diacritics are ignored, the text is NFC-normalized first so a name
/// stored in NFD (macOS file names) folds like its NFC twin.
public enum TextKey {
    /// The folded key of `text`: NFC, case-folded, diacritics removed, white space collapsed.
    public static func fold(_ text: String) -> String {
        let folded = text.precomposedStringWithCanonicalMapping
            .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var out = ""
        out.reserveCapacity(folded.utf8.count)
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.unicodeScalars.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
