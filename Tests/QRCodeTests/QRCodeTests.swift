import Foundation
import QRCode
import Testing

@Suite("QR codes for pairing screens")
struct QRCodeTests {
    /// The 7×7 finder pattern: a dark ring, a light ring, a dark 3×3 centre.
    private func hasFinderPattern(_ symbol: QRCode.Symbol, row: Int, column: Int) -> Bool {
        for r in 0..<7 {
            for c in 0..<7 {
                let ring = max(abs(r - 3), abs(c - 3))
                let expected = ring != 2  // rings 3 (outer) and 0...1 (centre) are dark
                if symbol[row + r, column + c] != expected { return false }
            }
        }
        return true
    }

    @Test("Given a short text, when encoded, then it is a 21×21 version-1 symbol with three finder patterns and timing lines")
    func shortTextIsVersionOne() throws {
        let symbol = try QRCode.Symbol(text: "HELLO WORLD")
        #expect(symbol.version == 1)
        #expect(symbol.width == 21)
        #expect(symbol.modules.count == 21 * 21)
        #expect(hasFinderPattern(symbol, row: 0, column: 0))
        #expect(hasFinderPattern(symbol, row: 0, column: 14))
        #expect(hasFinderPattern(symbol, row: 14, column: 0))
        // No finder pattern in the bottom-right corner: that is how a scanner finds the orientation.
        #expect(!hasFinderPattern(symbol, row: 14, column: 14))
        // Timing patterns: row 6 and column 6 alternate dark and light between the finders.
        for i in 8...12 {
            #expect(symbol[6, i] == (i % 2 == 0))
            #expect(symbol[i, 6] == (i % 2 == 0))
        }
        // The always-dark module beside the bottom-left finder (ISO/IEC 18004, 4V + 9).
        #expect(symbol[4 * symbol.version + 9, 8])
    }

    @Test("Given longer texts, when encoded, then the version grows with the byte count and the width is 17 + 4 × version",
          arguments: [(14, 1), (15, 2), (200, 10), (2331, 40)])
    func versionGrowsWithLength(bytes: Int, version: Int) throws {
        let symbol = try QRCode.Symbol(text: String(repeating: "a", count: bytes))
        #expect(symbol.version == version)
        #expect(symbol.width == 17 + 4 * version)
        #expect(hasFinderPattern(symbol, row: 0, column: symbol.width - 7))
    }

    @Test("Given non-ASCII text, when encoded, then its UTF-8 bytes are counted (14 bytes fit version 1, 16 do not)")
    func utf8BytesAreCounted() throws {
        #expect(try QRCode.Symbol(text: String(repeating: "é", count: 7)).version == 1)
        #expect(try QRCode.Symbol(text: String(repeating: "é", count: 8)).version == 2)
    }

    @Test("Given an empty or too-long text, when encoded, then a QRCodeError says why")
    func refusals() {
        #expect(throws: QRCodeError.self) { try QRCode.svg(text: "") }
        do {
            _ = try QRCode.svg(text: String(repeating: "a", count: 2332))
            Issue.record("2,332 bytes were encoded")
        } catch let error as QRCodeError {
            #expect(error.code == "qrcode.too_long")
            #expect(error.description.contains("2332 bytes"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("Given a symbol, when drawn as SVG, then the viewBox adds a 4-module quiet zone and the path covers exactly the dark modules in currentColor")
    func svgMatchesTheSymbol() throws {
        let text = "omnisonicd sync https://music.example.org:8443"
        let symbol = try QRCode.Symbol(text: text)
        let svg = try QRCode.svg(text: text)
        let size = symbol.width + 2 * QRCode.quietZone
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(size) \(size)\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(svg.contains("fill=\"currentColor\""))
        // No inline style: a page with a strict CSP (no 'unsafe-inline') can inline the image.
        #expect(!svg.contains("style="))
        #expect(!svg.contains("width=\""))

        // Redraw the modules from the path's runs and compare with the symbol.
        let d = try #require(svg.range(of: "d=\"").map { svg[$0.upperBound...].prefix { $0 != "\"" } })
        var drawn = [Bool](repeating: false, count: symbol.width * symbol.width)
        let runs = d.split(separator: "z")
        for run in runs {
            // "M<x> <y>h<n>v1h-<n>"
            let parts = run.dropFirst().split(whereSeparator: { $0 == " " || $0 == "h" || $0 == "v" })
            let x = try #require(Int(parts[0])) - QRCode.quietZone
            let y = try #require(Int(parts[1])) - QRCode.quietZone
            let length = try #require(Int(parts[2]))
            #expect(parts[3] == "1" && parts[4] == "-\(length)")
            for column in x..<(x + length) {
                #expect(!drawn[y * symbol.width + column], "module drawn twice")
                drawn[y * symbol.width + column] = true
            }
        }
        #expect(drawn == symbol.modules)
        #expect(runs.count < symbol.modules.filter { $0 }.count)  // runs merge neighbours
    }
}
