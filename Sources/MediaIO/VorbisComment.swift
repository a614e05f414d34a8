import OmniModel

/// Our reader of a Vorbis comment block (FLAC's VORBIS_COMMENT; the same layout as in Ogg), used
/// when libavformat must not read the block: it is over `TagLimits` (libavformat's dictionary
/// makes a block of a million entries take hours) or damaged.
///
/// Layout: vendor length (LE32), vendor, entry count (LE32), then per entry a length (LE32) and
/// `KEY=value` in UTF-8. Every length is checked against the bytes there are; a repeated key
/// gives several values.
enum VorbisComment {
    /// Parses `bytes` (one block's body) into `tags`; stops at the first malformed entry,
    /// keeping what came before, and notes it.
    static func parse(_ bytes: ArraySlice<UInt8>, into tags: inout TagCollector) {
        var none: [EmbeddedPicture] = []
        parse(bytes, into: &tags, pictures: &none, keepPictures: false)
    }

    /// Parses `bytes` into `tags`, and with `keepPictures` decodes `METADATA_BLOCK_PICTURE`
    /// entries (base64 of a FLAC PICTURE block: how Ogg carries covers) into `pictures`, at most
    /// `TagLimits.pictures` of them.
    static func parse(_ bytes: ArraySlice<UInt8>, into tags: inout TagCollector, pictures: inout [EmbeddedPicture], keepPictures: Bool) {
        var position = bytes.startIndex
        func u32() -> Int? {
            guard position + 4 <= bytes.endIndex else { return nil }
            defer { position += 4 }
            return Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16 | Int(bytes[position + 3]) << 24
        }
        guard let vendorLength = u32(), vendorLength <= bytes.endIndex - position else {
            tags.noteDamage("the vendor string is longer than the block")
            return
        }
        position += vendorLength
        guard let count = u32() else {
            tags.noteDamage("the entry count is missing")
            return
        }
        for entry in 0..<count {
            guard entry < TagLimits.vorbisEntries else {
                tags.drop(count - entry)
                return
            }
            guard let length = u32(), length <= bytes.endIndex - position else {
                tags.noteDamage("entry \(entry + 1) of \(count) runs past the block's end; it and the entries after it were skipped")
                return
            }
            let text = bytes[position..<(position + length)]
            position += length
            guard let equals = text.prefix(256).firstIndex(of: UInt8(ascii: "=")), equals > text.startIndex else { continue }
            let key = String(decoding: text[text.startIndex..<equals], as: UTF8.self)
            // Pictures (base64) are not text; FLAC keeps its own in PICTURE blocks.
            if key.lowercased() == "metadata_block_picture" {
                if keepPictures, pictures.count < TagLimits.pictures, let block = Base64.decode(text[(equals + 1)...]),
                   let picture = FLACLayout.parsePicture(block) {
                    pictures.append(picture)
                }
                continue
            }
            guard tags.room(for: key) > 0 else {
                tags.drop(1)
                continue
            }
            var value = text[(equals + 1)...]
            if value.count > TagLimits.valueBytes {
                value = value.prefix(TagLimits.valueBytes)
                tags.noteCut()
            }
            tags.add(key, String(decoding: value, as: UTF8.self))
        }
    }
}

/// Standard base64 (RFC 4648, `=` padding optional, no line breaks), for Ogg's
/// `METADATA_BLOCK_PICTURE`; nil on any other byte.
enum Base64 {
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text {
            if byte == UInt8(ascii: "=") { break }
            let value = values[Int(byte)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((accumulator >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}
