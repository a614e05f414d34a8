import Foundation

extension String {
    /// The text in Unicode NFC (`precomposedStringWithCanonicalMapping`), without asking
    /// Foundation when every scalar is below U+0300: such text is already NFC. Composition needs
    /// a combining mark (U+0300 onwards) or a Hangul jamo (U+1100 onwards), no scalar below
    /// U+0300 has a canonical decomposition of one scalar, and all have combining class 0 (so
    /// nothing reorders); `PrecomposedTests` checks every one of them. ASCII, Latin-1 and the
    /// Latin Extended letters are most names, and Foundation's normalisation was a measurable
    /// part of each probe thread in a scan (decision 0039).
    public var precomposed: String {
        unicodeScalars.allSatisfy({ $0.value < 0x300 }) ? self : precomposedStringWithCanonicalMapping
    }
}
