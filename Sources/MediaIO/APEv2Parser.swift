/// APEv2 tags (foobar2000, Monkey's Audio, WavPack, Musepack; sometimes on MP3), found by their
/// 32-byte "APETAGEX" footer at the end of the file or just before an ID3v1 block.
///
/// Text values are UTF-8; several values of one item are separated by NUL. Binary and external
/// items (cover art, links) are skipped. All sizes are checked against the file's length.
enum APEv2Parser {
    static let footerSize = 32
    /// Tags larger than this are not read.
    static let maxTagSize = 8 << 20

    /// The tag and the bytes it occupies at the end of the file (footer, items and optional
    /// header), or nil when there is none.
    static func read(_ file: FileReader, hasID3v1: Bool) -> (tags: RawTags, size: Int)? {
        let end = file.size - (hasID3v1 ? ID3v1Parser.size : 0)
        guard end >= footerSize else { return nil }
        let footer = file.read(at: end - footerSize, count: footerSize)
        guard let layout = footerLayout(footer), layout.tagSize <= end, layout.tagSize <= maxTagSize else { return nil }
        let itemsStart = end - layout.tagSize
        let items = file.read(at: itemsStart, count: layout.tagSize - footerSize)
        guard let tags = parseItems(items[...], count: layout.itemCount) else { return nil }
        return (tags, layout.tagSize + (layout.hasHeader ? footerSize : 0))
    }

    /// The tag size (items + footer, excluding the optional header), the item count, and whether a
    /// header precedes the items.
    static func footerLayout(_ footer: [UInt8]) -> (tagSize: Int, itemCount: Int, hasHeader: Bool)? {
        guard footer.count == footerSize, footer.starts(with: Array("APETAGEX".utf8)) else { return nil }
        let tagSize = littleEndian(footer[12..<16])
        let count = littleEndian(footer[16..<20])
        let flags = littleEndian(footer[20..<24])
        guard tagSize >= footerSize, count <= 65_536 else { return nil }
        return (tagSize, count, flags & 0x8000_0000 != 0)
    }

    /// Parses `count` items; stops early (keeping what was read) at the first malformed item.
    static func parseItems(_ bytes: ArraySlice<UInt8>, count: Int) -> RawTags? {
        var tags = RawTags()
        var position = bytes.startIndex
        for _ in 0..<count {
            guard position + 8 <= bytes.endIndex else { break }
            let valueSize = littleEndian(bytes[position..<(position + 4)])
            let flags = littleEndian(bytes[(position + 4)..<(position + 8)])
            let keyStart = position + 8
            guard let keyEnd = bytes[keyStart...].firstIndex(of: 0), keyEnd > keyStart else { break }
            let valueStart = keyEnd + 1
            guard valueSize >= 0, valueStart + valueSize <= bytes.endIndex else { break }
            let key = String(decoding: bytes[keyStart..<keyEnd], as: UTF8.self)
            // Bits 1-2: 0 = UTF-8 text, 1 = binary, 2 = external locator.
            if (flags >> 1) & 0x3 == 0 {
                for value in bytes[valueStart..<(valueStart + valueSize)].split(separator: 0, omittingEmptySubsequences: true) {
                    tags.add(key, String(decoding: value, as: UTF8.self))
                }
            }
            position = valueStart + valueSize
        }
        return tags
    }

    static func littleEndian(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reversed().reduce(0) { $0 << 8 | Int($1) }
    }
}
