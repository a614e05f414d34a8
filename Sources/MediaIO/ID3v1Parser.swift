/// ID3v1 / ID3v1.1: the fixed 128-byte "TAG" block at the end of old MP3 files.
///
/// Used only to fill fields the other tags lack. Fields are Latin-1, padded with NULs or spaces.
enum ID3v1Parser {
    static let size = 128

    /// Reads the block at the end of `file`, or nil when there is none.
    static func read(_ file: FileReader) -> RawTags? {
        guard file.size >= size else { return nil }
        return parse(file.read(at: file.size - size, count: size))
    }

    /// Parses 128 bytes starting with "TAG".
    static func parse(_ bytes: [UInt8]) -> RawTags? {
        guard bytes.count == size, bytes[0] == 0x54, bytes[1] == 0x41, bytes[2] == 0x47 else { return nil }
        func field(_ start: Int, _ length: Int) -> String {
            let raw = bytes[start..<(start + length)].prefix(while: { $0 != 0 })
            return TextDecoding.decode(raw, .latin1).trimmingSpaces
        }
        var tags = RawTags()
        for (key, start, length) in [("title", 3, 30), ("artist", 33, 30), ("album", 63, 30), ("date", 93, 4)] {
            let value = field(start, length)
            if !value.isEmpty { tags.add(key, value) }
        }
        // ID3v1.1: a zero byte before the last comment byte makes that byte the track number.
        if bytes[125] == 0 && bytes[126] != 0 {
            tags.add("track", String(bytes[126]))
            let comment = field(97, 28)
            if !comment.isEmpty { tags.add("comment", comment) }
        } else {
            let comment = field(97, 30)
            if !comment.isEmpty { tags.add("comment", comment) }
        }
        if let genre = ID3Genres.name(Int(bytes[127])) { tags.add("genre", genre) }
        return tags
    }
}
