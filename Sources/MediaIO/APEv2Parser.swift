import OmniModel

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
    static func read(_ file: FileReader, hasID3v1: Bool) -> (tags: RawTags, size: Int, warnings: [ProbeWarning])? {
        let end = file.size - (hasID3v1 ? ID3v1Parser.size : 0)
        guard end >= footerSize else { return nil }
        let footer = file.read(at: end - footerSize, count: footerSize)
        guard let layout = footerLayout(footer), layout.tagSize <= end, layout.tagSize <= maxTagSize else { return nil }
        let itemsStart = end - layout.tagSize
        let items = file.read(at: itemsStart, count: layout.tagSize - footerSize)
        var collector = TagCollector()
        parseItems(items[...], count: layout.itemCount, into: &collector)
        return (collector.tags, layout.tagSize + (layout.hasHeader ? footerSize : 0), collector.warnings(tag: "APEv2"))
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
        var collector = TagCollector()
        parseItems(bytes, count: count, into: &collector)
        return collector.tags
    }

    /// Parses `count` items into `tags` under `TagLimits`; stops early (keeping what was read)
    /// at the first malformed item and notes it.
    static func parseItems(_ bytes: ArraySlice<UInt8>, count: Int, into tags: inout TagCollector) {
        var position = bytes.startIndex
        for item in 0..<count {
            guard position + 8 <= bytes.endIndex else {
                tags.noteDamage("\(count - item) of \(count) items are missing (the tag is shorter than it says)")
                break
            }
            let valueSize = littleEndian(bytes[position..<(position + 4)])
            let flags = littleEndian(bytes[(position + 4)..<(position + 8)])
            let keyStart = position + 8
            // Keys are 2 to 255 ASCII characters (APEv2 spec); a longer run is not a key.
            guard let keyEnd = bytes[keyStart..<min(bytes.endIndex, keyStart + 256)].firstIndex(of: 0), keyEnd > keyStart else {
                tags.noteDamage("item \(item + 1) of \(count) has no key; it and the items after it were skipped")
                break
            }
            let valueStart = keyEnd + 1
            guard valueSize >= 0, valueStart + valueSize <= bytes.endIndex else {
                tags.noteDamage("item \(item + 1) of \(count) claims \(valueSize) bytes, past the tag's end; it and the items after it were skipped")
                break
            }
            let key = String(decoding: bytes[keyStart..<keyEnd], as: UTF8.self)
            // Bits 1-2: 0 = UTF-8 text, 1 = binary, 2 = external locator.
            if (flags >> 1) & 0x3 == 0 {
                if tags.isFull {
                    tags.drop(1)
                } else {
                    var collector = tags
                    let values = TextDecoding.decodeList(bytes[valueStart..<(valueStart + valueSize)], .utf8, limit: tags.room(for: key), collector: &collector)
                    tags = collector
                    for value in values where !value.isEmpty { tags.add(key, value) }
                }
            }
            position = valueStart + valueSize
        }
    }

    static func littleEndian(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reversed().reduce(0) { $0 << 8 | Int($1) }
    }
}
