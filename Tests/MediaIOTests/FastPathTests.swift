import Foundation
@testable import MediaIO
import OmniModel
import TestSupport
import Testing

/// The scan's fast paths (decision 0039) give what the general code gave.
@Suite("Scan fast paths agree with the general rule")
struct FastPathTests {
    @Test("hasContent's ASCII path agrees with Unicode's White_Space on every ASCII character")
    func hasContentASCII() {
        for value in 0..<0x80 {
            let scalar = Unicode.Scalar(UInt8(value))
            let expected = !scalar.properties.isWhitespace && scalar != "\u{0}"
            #expect(TextCleaning.hasContent(String(scalar)) == expected, "U+\(String(value, radix: 16))")
            #expect(TextCleaning.hasContent(" \(scalar)\t") == expected, "U+\(String(value, radix: 16)) between spaces")
        }
        #expect(!TextCleaning.hasContent("\u{A0}\u{3000} "))  // non-ASCII white space: the general path
        #expect(TextCleaning.hasContent(" é "))
    }

    @Test("libavformat's reads through FileReader's head give the file's bytes, across the head's end")
    func readsAcrossHead() throws {
        // Given a file longer than the head, every byte different from its neighbours
        let bytes = (0..<(FileReader.headBytes * 2 + 123)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fastpath-\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try FileReader(opening: RawPath(url.path))
        let input = PatchedInput(file: file)
        // When libavformat reads it in odd-sized pieces, from the start and after seeks
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 5000)
        while true {
            let got = buffer.withUnsafeMutableBufferPointer { input.read(into: $0.baseAddress!, count: $0.count) }
            if got == 0 { break }
            read += buffer[..<got]
        }
        // Then it sees the file as it is
        #expect(read == bytes)
        for offset in [0, FileReader.headBytes - 10, FileReader.headBytes, bytes.count - 7] {
            _ = input.seek(Int64(offset), whence: SEEK_SET)
            let got = buffer.withUnsafeMutableBufferPointer { input.read(into: $0.baseAddress!, count: 20) }
            #expect(Array(buffer[..<got]) == Array(bytes[offset..<min(offset + 20, bytes.count)]), "at \(offset)")
        }
    }

    @Test("Separators' byte split gives the general rule's parts, for names and genres")
    func separatorsBytes() async throws {
        // Given every text of up to four characters over letters, the separators, spaces and a
        // non-ASCII letter, and values as tags hold them
        let alphabet = ["a", "é", ";", "/", " ", "\t", "\u{0}", "\u{A0}"]
        var texts: [String] = [""]
        var all: [String] = []
        for _ in 1...4 {
            texts = texts.flatMap { text in alphabet.map { text + $0 } }
            all += texts
        }
        all += ["AC/DC", "Rock / Pop", "Rock/Pop; Jazz", "Björk / Sjón", "Björk/Sjón", "a /é", "é/ a", "  ; x ;; y ",
                "Earth, Wind & Fire", "K/Half Noise", "A\u{0}B\u{0}", "Ärzte;Ärzte", "x\u{3000}/\u{3000}y"]
        let differing = try await onOwnThread { [all] in
            var out: [String] = []
            // When each is split both ways, as names and as genres
            for text in all {
                for field in [Separators.Field.names, .genres] where Separators.split(text, field: field) != Separators.splitScalars(text, field: field) {
                    out.append("\(field) \(text.debugDescription)")
                }
            }
            return out
        }
        // Then the parts are the same
        #expect(differing.isEmpty, "\(differing.prefix(10))")
    }

    @Test("The date's byte path gives the Character path's date and year")
    func dateBytes() async throws {
        // Given every text of up to four characters over digits, date separators, a letter and
        // white space, and dates as tags hold them
        let alphabet: [Character] = ["0", "1", "2", "9", "-", "/", ".", "T", " ", "\u{0}", "\t"]
        var texts: [String] = [""]
        var all: [String] = []
        for _ in 1...4 {
            texts = texts.flatMap { text in alphabet.map { text + String($0) } }
            all += texts
        }
        // and longer ones, drawn from the same characters (a fixed seed: the same every run)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            var text = ""
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            for _ in 0..<(5 + Int(seed >> 60) % 8) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text.append(alphabet[Int(seed >> 33) % alphabet.count])
            }
            all.append(text)
        }
        all += ["2001", "2001-05-03", "2001/05", "2001.05.03", "20010503", "2001-05-03T10:00:00Z", "03/05/2001",
                "May 2001", "(p) 1999 Label", "19999", "0999", "3000", " 2001-13-01 ", "2001-05-32", "2001-5-3",
                "20011303", "2001-05-03\r\n", "\r\n2001", "2001\u{0}", "12345678", "1999-12-31 23:59"]
        let differing = try await onOwnThread { [all] in
            // When each is parsed both ways
            all.filter { text in
                let fast = TagValues.date(text), slow = TagValues.dateByCharacters(text)
                return fast.date != slow.date || fast.year != slow.year
            }
        }
        // Then both give the same
        #expect(differing.isEmpty, "\(differing.prefix(10).map(\.debugDescription))")
        #expect(TagValues.date("2001-05-03T10:00:00Z").date == "2001-05-03")
        #expect(TagValues.date("1999-12-31 23:59").year == 1999)
    }

    @Test("Track and disc numbers on bytes give the Character path's numbers")
    func numberPairBytes() async throws {
        // Given every text of up to four characters over digits, the slash, white space and
        // letters (a carriage return and line feed among them)
        let alphabet: [String] = ["0", "3", "9", "/", " ", "\t", "+", "x", "é", "\r", "\n"]
        var texts: [String] = [""]
        var all: [String] = [""]
        for _ in 1...4 {
            texts = texts.flatMap { text in alphabet.map { text + $0 } }
            all += texts
        }
        all += ["3/12", " 3 / 12 ", "03", "0/0", "1234567890", "999999999/9999999999", "12/", "/12", "1\r\n/2", "٣/4"]
        let differing = try await onOwnThread { [all] in
            // When each is read both ways
            all.filter { text in
                let fast = TagValues.numberPair(text), slow = TagValues.numberPairByCharacters(text)
                return fast.0 != slow.0 || fast.1 != slow.1
                    || TagValues.positiveInteger(text) != TagValues.positiveIntegerByCharacters(text)
            }
        }
        // Then both give the same numbers
        #expect(differing.isEmpty, "\(differing.prefix(10).map(\.debugDescription))")
        #expect(TagValues.numberPair(" 3 / 12 ").0 == 3 && TagValues.numberPair(" 3 / 12 ").1 == 12)
    }

    @Test("Trimming ASCII on bytes agrees with trimming Characters, for every ASCII character")
    func trimmingBytes() {
        var differing: [String] = []
        for value in 0..<0x80 {
            let c = String(Unicode.Scalar(UInt8(value)))
            for text in [c, c + c, "\(c)a\(c)", "a\(c)", "\(c)a", "\(c) a \(c)\r\n", "\r\n\(c)", "\(c)\r\n", " é\(c)"]
            where text.trimmingSpaces != text.trimmingSpacesByCharacters || text[...].trimmingSpaces != text.trimmingSpacesByCharacters {
                differing.append(text)
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(10).map(\.debugDescription))")
        #expect(" \u{0}Rock\r\n".trimmingSpaces == "Rock")
    }

    @Test("Short lists are deduplicated by looking through them, as long ones by a set")
    func uniqueShortAndLong() {
        // Given names that are equal once cleaned (trimmed, NFC), in a short and a long list
        let names = ["Björk", "Bjo\u{308}rk", " Björk ", "Sjón", "", "sjón", "Sjo\u{301}n\u{0}"]
        let long = names + names + ["A", "B", "A"]
        // Then both keep the first of each, in order
        #expect(Separators.unique(names) == ["Björk", "Sjón", "sjón"])
        #expect(Separators.unique(long) == ["Björk", "Sjón", "sjón", "A", "B"])
        #expect(Separators.unique(Array(long.prefix(8))) == Separators.unique(Array(long.prefix(9))).filter { long.prefix(8).contains($0) })
    }

    @Test("RawTags folds keys of any case to one, in first-seen order, with values in file order")
    func rawTagsKeys() {
        // Given keys in upper, lower and mixed case, ASCII and not, repeated
        let tags = RawTags([("ARTIST", "A"), ("title", "T"), ("Artist", "B"), ("ÄRTIST", "C"), ("ärtist", "D"), ("artist", "E"),
                            ("TXXX:MusicBrainz Album Id", "X")])
        // Then each key is kept once, lowercased, where it first came, with all its values
        #expect(tags.keys == ["artist", "title", "ärtist", "txxx:musicbrainz album id"])
        #expect(tags.values("Artist") == ["A", "B", "E"])
        #expect(tags.values("ÄRTIST") == ["C", "D"])
        #expect(tags.values("TXXX:MUSICBRAINZ ALBUM ID") == ["X"])
    }
}
