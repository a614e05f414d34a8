import Foundation
import OmniModel
import Testing

@Suite("String.precomposed: NFC, skipping Foundation below U+0300")
struct PrecomposedTests {
    @Test("Text below U+0300 is already NFC: every scalar, alone, around a letter and doubled")
    func belowCombiningMarksIsNFC() {
        var changed: [String] = []
        for scalar in (0x01..<0x300).compactMap(Unicode.Scalar.init(_:)) {
            for text in [String(scalar), "a\(scalar)", "\(scalar)a", "\(scalar)\(scalar)"]
            where !text.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(text.unicodeScalars) {
                changed.append(text)
            }
        }
        #expect(changed.isEmpty, "NFC changed \(changed.prefix(5).map { Array($0.unicodeScalars) })")
    }

    @Test("Decomposed text is still composed (scalars compared: Swift's == calls both forms equal)")
    func composes() {
        #expect(Array("Mo\u{308}tley Cru\u{308}e".precomposed.unicodeScalars) == Array("M\u{F6}tley Cr\u{FC}e".unicodeScalars))
        #expect(Array("\u{1100}\u{1161}".precomposed.unicodeScalars) == ["\u{AC00}"])
        #expect(Array("\u{212B}".precomposed.unicodeScalars) == ["\u{C5}"])  // a singleton: Angstrom sign → Å
        #expect("AC/DC Björk Łódź".precomposed == "AC/DC Björk Łódź")
    }
}
