/// Decoding of the text encodings tag formats use (ID3v2's four, ID3v1's Latin-1, APE's UTF-8).
enum TextDecoding {
    /// ID3v2 text encodings (the first byte of text frames).
    enum Encoding: UInt8 {
        case latin1 = 0
        /// UTF-16 with a byte-order mark (each string has its own).
        case utf16 = 1
        /// UTF-16 big-endian without a mark (ID3v2.4).
        case utf16BE = 2
        /// UTF-8 (ID3v2.4).
        case utf8 = 3

        /// Bytes per code unit, which is also the width of the NUL terminator.
        var unitWidth: Int { self == .utf16 || self == .utf16BE ? 2 : 1 }
    }

    /// Decodes `bytes` (without terminator). Invalid sequences become U+FFFD.
    static func decode(_ bytes: ArraySlice<UInt8>, _ encoding: Encoding) -> String {
        switch encoding {
        case .latin1:
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        case .utf8:
            var slice = bytes
            if slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
            return String(decoding: slice, as: UTF8.self)
        case .utf16, .utf16BE:
            var slice = bytes
            // Without a BOM, ID3v2.4's encoding 2 is big-endian; a BOM-less encoding 1 string is
            // non-conforming, and in practice written by little-endian Windows taggers.
            var bigEndian = encoding == .utf16BE ? true : false
            if slice.starts(with: [0xFE, 0xFF]) {
                bigEndian = true
                slice = slice.dropFirst(2)
            } else if slice.starts(with: [0xFF, 0xFE]) {
                bigEndian = false
                slice = slice.dropFirst(2)
            }
            var units: [UInt16] = []
            units.reserveCapacity(slice.count / 2)
            var index = slice.startIndex
            while index + 1 < slice.endIndex {
                let a = UInt16(slice[index]), b = UInt16(slice[index + 1])
                units.append(bigEndian ? (a << 8 | b) : (b << 8 | a))
                index += 2
            }
            return String(decoding: units, as: UTF16.self)
        }
    }

    /// Splits `bytes` at NUL terminators of the encoding's width (aligned for UTF-16) and decodes
    /// each part; a trailing terminator does not make an extra empty value.
    static func decodeList(_ bytes: ArraySlice<UInt8>, _ encoding: Encoding) -> [String] {
        var collector = TagCollector()
        return decodeList(bytes, encoding, limit: Int.max, collector: &collector)
    }

    /// `decodeList` under limits: decodes at most `limit` values, each cut to
    /// `TagLimits.valueBytes`, and counts the values left out and cut in `collector`.
    static func decodeList(_ bytes: ArraySlice<UInt8>, _ encoding: Encoding, limit: Int, collector: inout TagCollector) -> [String] {
        var out: [String] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        let width = encoding.unitWidth
        var full = false
        func take(_ part: ArraySlice<UInt8>) {
            guard out.count < limit else {
                full = true
                return
            }
            var part = part
            if part.count > TagLimits.valueBytes {
                part = part.prefix(TagLimits.valueBytes - TagLimits.valueBytes % width)
                collector.noteCut()
            }
            out.append(decode(part, encoding))
        }
        while index + width <= bytes.endIndex {
            let isNul = width == 1 ? bytes[index] == 0 : (bytes[index] == 0 && bytes[index + 1] == 0)
            if isNul {
                take(bytes[start..<index])
                start = index + width
                // No room left: the rest is not even scanned (8 million values are 8 million steps).
                if full { break }
            }
            index += width
        }
        if !full, start < bytes.endIndex { take(bytes[start...]) }
        if full { collector.drop(1) }
        return out
    }

    /// The first NUL-terminated string of `bytes` and the index just past its terminator
    /// (`endIndex` when unterminated). The string is cut to `TagLimits.valueBytes`.
    static func terminated(_ bytes: ArraySlice<UInt8>, _ encoding: Encoding) -> (String, Int) {
        let width = encoding.unitWidth
        var index = bytes.startIndex
        func bounded(_ part: ArraySlice<UInt8>) -> String {
            decode(part.prefix(TagLimits.valueBytes - TagLimits.valueBytes % width), encoding)
        }
        while index + width <= bytes.endIndex {
            let isNul = width == 1 ? bytes[index] == 0 : (bytes[index] == 0 && bytes[index + 1] == 0)
            if isNul { return (bounded(bytes[bytes.startIndex..<index]), index + width) }
            index += width
        }
        return (bounded(bytes), bytes.endIndex)
    }
}
