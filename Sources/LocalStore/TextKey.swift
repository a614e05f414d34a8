import Foundation
import OmniModel

/// Folding of names into comparison keys.
///
/// Keys are used for grouping (one artist row for "Björk" and "BJÖRK"), exact-title ranking and
/// sorting: case and diacritics are ignored, the text is NFC-normalized first so a name stored in
/// NFD (macOS file names) folds like its NFC twin. Search folds further (`SearchFolding`: ð→d,
/// æ→ae, inner apostrophes joined, CJK bigrams; decision 0005), so two names search finds alike
/// ("Guðmundsdóttir", "Gudmundsdottir") may still group apart here: changing these keys would
/// regroup existing libraries and needs a migration of its own.
public enum TextKey {
    /// The folded key of `text`: NFC, case-folded, diacritics removed, white space collapsed.
    public static func fold(_ text: String) -> String {
        // Most names are ASCII: lowercasing and collapsing spaces is then the whole fold, and
        // Foundation's folding (a large share of a scan's write time) is not needed.
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            var out = [UInt8]()
            out.reserveCapacity(utf8.count)
            var pendingSpace = false
            for byte in utf8 {
                if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
                    pendingSpace = !out.isEmpty
                } else {
                    if pendingSpace { out.append(0x20) }
                    pendingSpace = false
                    out.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        let folded = text.precomposed
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
