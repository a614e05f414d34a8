@testable import LocalStore
import TestSupport
import Testing

/// The search fold's ASCII path (decision 0039, "Probe threads, fourth round") gives what the
/// general rule gives, on every short ASCII text over the characters that matter and on names
/// and file names of the kinds a library holds.
@Suite("The search fold's ASCII path agrees with the general rule")
struct FoldFastPathTests {
    /// The texts among `texts` that the two paths fold differently, as the index or as a query.
    static func disagreements(_ texts: [String]) -> [String] {
        var out: [String] = []
        for text in texts {
            for forQuery in [false, true] {
                let fast = text.utf8.withContiguousStorageIfAvailable { SearchFolding.foldASCII($0, forQuery: forQuery) }
                if fast != SearchFolding.foldScalars(text, forQuery: forQuery) { out.append("\(forQuery ? "query" : "document") \(text.debugDescription)") }
            }
        }
        return out
    }

    @Test("Every text of up to four characters over letters, digits, joiners and separators")
    func exhaustiveShortTexts() async throws {
        // Given one character of each kind the rule tells apart, and every joiner
        let alphabet: [UInt8] = Array("a7'-./&_ ,\u{0}".utf8)
        let differing = try await onOwnThread {
            var texts: [[UInt8]] = [[]]
            var all: [String] = []
            for _ in 1...4 {
                texts = texts.flatMap { text in alphabet.map { text + [$0] } }
                all += texts.map { String(decoding: $0, as: UTF8.self) }
            }
            // When each is folded both ways
            return Self.disagreements(all)
        }
        // Then both give the same text
        #expect(differing.isEmpty, "\(differing.prefix(10))")
    }

    @Test("Every ASCII character between letters, and names and file names as a library has them")
    func everyASCIICharacter() {
        var texts: [String] = []
        for value in 0..<0x80 {
            let scalar = Unicode.Scalar(UInt8(value))
            texts += ["a\(scalar)b", "O\(scalar)\(scalar)Connor - 01.\(scalar)mp3", "\(scalar)x-y\(scalar)"]
        }
        texts += ["AC/DC", "R.E.M.", "Jay-Z", "O'Connor", "01 - Hells Bells.mp3", "Guns N' Roses", "P!nk",
                  "Anna & the Storms - Faded Tide.m4a", "10. Walking Alone.M4a", "a.b.c.d/e-f_g'h&i",
                  "..", "-a-", "a--b", "x'", "'y", "  spaced  words  ", "Mr. Lawrence", "2001-05-03"]
        let differing = Self.disagreements(texts)
        #expect(differing.isEmpty, "\(differing.prefix(10))")
        // And the fast path is the one taken: a file name is folded as the rule says
        #expect(SearchFolding.document("01 - Hells Bells.mp3") == "01 - Hells Bellsmp3 Bells mp3")
    }
}
