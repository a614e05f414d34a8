import Foundation
@testable import MediaIO
import OmniModel
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
}
