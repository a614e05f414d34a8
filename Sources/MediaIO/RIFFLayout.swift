import OmniModel

/// The tags of a WAV file: its first `LIST/INFO` list and its first `ID3 `/`id3 ` chunk, found by
/// walking the RIFF chunks (issue 15).
///
/// Why, when libavformat reads both: it keeps the *last* of repeated ones (each `av_dict_set`
/// replaces the value before), decodes INFO text as raw bytes (Latin-1 becomes U+FFFD), and reads
/// the ID3 chunk with its own parser (one value per frame). We take the first of each, as TagLib
/// and the RIFF reading of other players do, read the ID3 chunk with our `ID3v2Parser`, decode
/// INFO text as UTF-8 when it is valid and Latin-1 otherwise, and say what we skipped.
///
/// Every size is checked against the file's length; the walk stops at `maxChunks` chunks or at
/// the first chunk running past the end of the file (its readable part is still read).
struct RIFFLayout {
    /// More chunks than this are not walked (a file of zero-length chunks is all headers).
    static let maxChunks = 512
    /// An INFO list or ID3 chunk longer than this is not read.
    static let maxTagBytes = 1 << 20

    /// The first INFO list's values under libavformat's key names (`title`, `artist`...) where it
    /// has one, else the four-letter id (`IENG`).
    var info: TagCollector?
    /// The first ID3 chunk's tag.
    var id3: ID3v2Tag?
    /// What was skipped, in plain words.
    var skipped: [String] = []

    /// INFO ids as libavformat names them (`ff_riff_info_conv`), so `TagKeys` maps both readings
    /// the same way.
    static let infoKeys: [String: String] = [
        "IART": "artist", "ICMT": "comment", "ICOP": "copyright", "ICRD": "date", "IGNR": "genre",
        "ILNG": "language", "INAM": "title", "IPRD": "album", "IPRT": "track", "ITRK": "track",
        "ISFT": "encoder", "ISMP": "timecode", "ITCH": "encoded_by",
    ]

    /// Walks the chunks of the RIFF (or RF64) WAVE file, or nil when it is not one or has neither
    /// an INFO list nor an ID3 chunk.
    static func read(_ file: FileReader, includePictures: Bool) -> RIFFLayout? {
        let header = file.read(at: 0, count: 12)
        guard header.count == 12, header[0..<4].elementsEqual("RIFF".utf8) || header[0..<4].elementsEqual("RF64".utf8),
              header[8..<12].elementsEqual("WAVE".utf8) else { return nil }
        var layout = RIFFLayout()
        var infoLists = 0, id3Chunks = 0
        var position = 12
        var chunks = 0
        while position + 8 <= file.size {
            chunks += 1
            guard chunks <= maxChunks else {
                layout.skipped.append("more than \(maxChunks) chunks; the rest of the file was not looked at")
                break
            }
            let chunkHeader = file.read(at: position, count: 12)
            guard chunkHeader.count >= 8 else { break }
            let id = chunkHeader[0..<4]
            let declared = Int(UInt32(chunkHeader[4]) | UInt32(chunkHeader[5]) << 8 | UInt32(chunkHeader[6]) << 16 | UInt32(chunkHeader[7]) << 24)
            let body = position + 8
            // RF64 stores the real data size in `ds64`; 0xFFFFFFFF there means "see ds64". Tags
            // after such a data chunk are not looked for.
            if declared == 0xFFFF_FFFF { break }
            let available = min(declared, file.size - body)
            let isTag = (id.elementsEqual("LIST".utf8) && chunkHeader.count == 12 && chunkHeader[8..<12].elementsEqual("INFO".utf8))
                || id.elementsEqual("ID3 ".utf8) || id.elementsEqual("id3 ".utf8)
            if declared > available {
                if isTag { layout.skipped.append("the \(String(decoding: id, as: UTF8.self).trimmingSpaces) chunk at byte \(position) claims \(declared) bytes, past the end of the file; its readable part was read") }
                else if !id.elementsEqual("data".utf8) { layout.skipped.append("chunk \(chunks) claims \(declared) bytes, past the end of the file") }
            }
            if id.elementsEqual("LIST".utf8), isTag {
                infoLists += 1
                if layout.info == nil {
                    layout.info = parseInfo(file.read(at: body + 4, count: min(available - 4, maxTagBytes))[...])
                }
            } else if isTag {
                id3Chunks += 1
                if layout.id3 == nil {
                    layout.id3 = ID3v2Parser.parse(file.read(at: body, count: min(available, maxTagBytes)), includePictures: includePictures)
                }
            }
            guard declared <= available else { break }
            position = body + declared + (declared & 1) // chunks are padded to an even length
        }
        if infoLists > 1 { layout.skipped.append("\(infoLists) INFO lists; the first was read, the others skipped") }
        if id3Chunks > 1 { layout.skipped.append("\(id3Chunks) ID3 chunks; the first was read, the others skipped") }
        guard layout.info != nil || layout.id3 != nil else { return nil }
        return layout
    }

    /// The sub-chunks of an INFO list (after the `INFO` word): four-letter id, little-endian size,
    /// NUL-terminated text, padded to an even length. Stops at the first sub-chunk that overruns
    /// the list, keeping what was read.
    static func parseInfo(_ bytes: ArraySlice<UInt8>) -> TagCollector {
        var collector = TagCollector()
        var position = bytes.startIndex
        while position + 8 <= bytes.endIndex {
            let id = String(decoding: bytes[position..<(position + 4)], as: UTF8.self)
            let size = Int(UInt32(bytes[position + 4]) | UInt32(bytes[position + 5]) << 8 | UInt32(bytes[position + 6]) << 16 | UInt32(bytes[position + 7]) << 24)
            let start = position + 8
            guard id.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                collector.noteDamage("INFO item at byte \(position - bytes.startIndex) has no valid id; it and the items after it were skipped")
                break
            }
            let end = min(bytes.endIndex, start + size)
            if start + size > bytes.endIndex {
                collector.noteDamage("INFO item \(id) claims \(size) bytes, past the list's end; its readable part was read")
            }
            var text = bytes[start..<end]
            if let nul = text.firstIndex(of: 0) { text = text[..<nul] }
            if text.count > TagLimits.valueBytes {
                text = text.prefix(TagLimits.valueBytes)
                collector.noteCut()
            }
            let value = decode(text).trimmingSpaces
            if !value.isEmpty { collector.add(infoKeys[id] ?? id, value) }
            guard start + size <= bytes.endIndex else { break }
            position = start + size + (size & 1)
        }
        return collector
    }

    /// UTF-8 when the bytes are valid UTF-8, else Latin-1 (the INFO format names no encoding;
    /// Windows wrote the ANSI code page, most taggers now write UTF-8).
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        return TextDecoding.decode(bytes, .latin1)
    }

    /// The warnings for what was skipped, the INFO list's and the ID3 chunk's own included.
    var warnings: [ProbeWarning] {
        var out = skipped.map { ProbeWarning(.tagDamaged, "RIFF: \($0)") }
        if let info { out += info.warnings(tag: "RIFF INFO") }
        if let id3 { out += id3.warnings }
        return out
    }
}

extension String {
    /// Without leading and trailing spaces, tabs, line breaks and NULs.
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\0" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
