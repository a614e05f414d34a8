import OmniModel

/// A picture embedded in a tag (ID3v2 APIC/PIC), before the mime type is sniffed.
struct EmbeddedPicture: Sendable, Equatable {
    /// The mime type the tag states (may be wrong, "jpg", or empty).
    var statedMime: String
    /// The APIC picture type (3 = front cover).
    var pictureType: UInt8
    var data: [UInt8]
}

/// One frame's id and content (after unsynchronisation and flags are undone).
struct RawFrame: Sendable, Equatable {
    var id: String
    var content: [UInt8]
}

/// What our ID3v2 parser found.
struct ID3v2Tag: Sendable, Equatable {
    /// 2, 3 or 4.
    var majorVersion: Int
    /// Text frames under their (ID3v2.3/2.4) frame ids ("TPE1"), TXXX under their description,
    /// COMM (without description) as "comment", UFID as "ufid:<owner>". NUL-separated values are
    /// separate values.
    var tags: RawTags
    var pictures: [EmbeddedPicture]
    /// What was left out (over `TagLimits`) or skipped as malformed.
    var warnings: [ProbeWarning] = []
    /// `USLT` and `SYLT` frames as they are (ID3v2.2's `ULT`/`SLT` renamed), when asked for
    /// (`LyricsReader`); at most `LyricsReader.maximumLyrics`.
    var lyrics: [RawFrame] = []
    /// True when the tag was over `TagLimits`: libavformat must not read it either.
    var isOverLimits = false
    /// Bytes the tag occupies at the start of the file (header, frames, padding, footer): where
    /// the audio starts.
    var totalSize: Int
}

/// Our own ID3v2.2/2.3/2.4 reader, for MP3 files.
///
/// Why, when libavformat reads ID3v2: we want every value of multi-value frames and TXXX, the
/// v2.3 TYER+TDAT pair, tolerant handling of the common iTunes bug of non-syncsafe v2.4 frame sizes,
/// and one bad frame skipped instead of ending the whole tag. Everything is bounds-checked against
/// the bytes actually read; sizes from the file are never trusted. Compressed and encrypted frames
/// are skipped (rare, and zlib is not worth a dependency here).
enum ID3v2Parser {
    /// Tags larger than this are not read (a corrupt size field must not make us read gigabytes).
    static let maxTagSize = 16 << 20

    /// The whole tag's length (header + body + footer) from its first 10 bytes, or nil when they
    /// are not an ID3v2 header.
    static func tagLength(header: [UInt8]) -> Int? {
        guard header.count >= 10, header[0] == 0x49, header[1] == 0x44, header[2] == 0x33, // "ID3"
              (2...4).contains(header[3]), header[4] != 0xFF,
              header[6..<10].allSatisfy({ $0 < 0x80 }) else { return nil }
        let body = syncsafe(header[6..<10])
        let footer = header[3] == 4 && header[5] & 0x10 != 0 ? 10 : 0
        return 10 + body + footer
    }

    /// Reads the tag at the start of `file`, or nil when there is none.
    /// A tag longer than `maxTagSize` is read as far as that and marked over the limits.
    static func read(_ file: FileReader, includePictures: Bool, includeLyrics: Bool = false) -> ID3v2Tag? {
        let header = file.read(at: 0, count: 10)
        guard let length = tagLength(header: header) else { return nil }
        guard var tag = parse(file.read(at: 0, count: min(length, maxTagSize)), includePictures: includePictures,
                              includeLyrics: includeLyrics) else { return nil }
        if length > maxTagSize {
            tag.isOverLimits = true
            tag.warnings.append(ProbeWarning(.tagTruncated, "ID3v2 tag: \(length) bytes, over the limit of \(maxTagSize); only the first \(maxTagSize) were read"))
        }
        return tag
    }

    /// Parses a whole tag (starting with its 10-byte header). A tag cut short is parsed as far as
    /// its bytes go.
    static func parse(_ bytes: [UInt8], includePictures: Bool, includeLyrics: Bool = false) -> ID3v2Tag? {
        guard let length = tagLength(header: Array(bytes.prefix(10))) else { return nil }
        let major = Int(bytes[3])
        let flags = bytes[5]
        let bodyEnd = min(bytes.count, 10 + syncsafe(bytes[6..<10]))
        var body = Array(bytes[10..<max(10, bodyEnd)])
        // Tag-level unsynchronisation (v2.2/2.3): undo it over the whole body. In v2.4 the flag
        // only says every frame is unsynchronised, which the frame flags also say.
        let tagUnsync = flags & 0x80 != 0
        if tagUnsync && major < 4 { body = undoUnsynchronisation(body[...]) }

        var position = 0
        if flags & 0x40 != 0 && major >= 3, body.count >= 4 {
            let size = major == 3 ? bigEndian(body[0..<4]) + 4 : syncsafe(body[0..<4])
            position = min(body.count, max(size, 4))
        }

        var collector = TagCollector()
        var pictures: [EmbeddedPicture] = []
        var droppedPictures = 0
        var lyrics: [RawFrame] = []
        let headerSize = major == 2 ? 6 : 10
        while position + headerSize <= body.count {
            let idLength = major == 2 ? 3 : 4
            let idBytes = body[position..<(position + idLength)]
            guard idBytes.allSatisfy(isFrameIDByte) else { break } // padding or garbage: end of frames
            var id = String(decoding: idBytes, as: UTF8.self)
            var size: Int
            var frameFlags: UInt8 = 0
            if major == 2 {
                size = Int(body[position + 3]) << 16 | Int(body[position + 4]) << 8 | Int(body[position + 5])
            } else if major == 3 {
                size = bigEndian(body[(position + 4)..<(position + 8)])
                frameFlags = body[position + 9]
            } else {
                size = frameSizeV24(body, at: position)
                frameFlags = body[position + 9]
            }
            let start = position + headerSize
            guard size > 0, start + size <= body.count else {
                if size == 0 { position = start; continue }
                // The frames after it cannot be found: keep what was read.
                collector.noteDamage("frame \(id) at byte \(position + 10) claims \(size) bytes, past the tag's end; it and anything after it were skipped")
                break
            }
            position = start + size
            var content = body[start..<(start + size)]

            if major == 2 { id = v22Names[id] ?? id }
            if major == 3 {
                if frameFlags & 0xC0 != 0 { continue } // compressed or encrypted
                if frameFlags & 0x20 != 0 { content = content.dropFirst() } // group id
            } else if major == 4 {
                if frameFlags & 0x0C != 0 { continue }
                if frameFlags & 0x40 != 0 { content = content.dropFirst() }
                if frameFlags & 0x01 != 0 { content = content.dropFirst(4) } // data length indicator
                if frameFlags & 0x02 != 0 || tagUnsync { content = undoUnsynchronisation(content)[...] }
            }
            if id == "USLT" || id == "SYLT" {
                if includeLyrics, lyrics.count < LyricsReader.maximumLyrics { lyrics.append(RawFrame(id: id, content: Array(content))) }
                continue
            }
            if id == "APIC" || id == "PIC" {
                // Only kept when asked for, and at most `TagLimits.pictures` of them.
                guard includePictures else { continue }
                guard pictures.count < TagLimits.pictures else {
                    droppedPictures += 1
                    continue
                }
            } else if collector.isFull {
                // Nothing more is kept: do not even decode (a tag of a million tiny frames).
                if id.hasPrefix("T") || id == "COMM" { collector.drop(1) }
                continue
            }
            decodeFrame(id: id, content: content, major: major, includePictures: includePictures, into: &collector, pictures: &pictures)
        }
        var tag = ID3v2Tag(majorVersion: major, tags: collector.tags, pictures: pictures, totalSize: length)
        tag.lyrics = lyrics
        tag.warnings = collector.warnings(tag: "ID3v2")
        if droppedPictures > 0 {
            tag.warnings.append(ProbeWarning(.tagTruncated, "ID3v2 tag: \(droppedPictures) pictures over the limit of \(TagLimits.pictures) were left out"))
        }
        tag.isOverLimits = collector.isOverLimits || droppedPictures > 0
        return tag
    }

    private static func decodeFrame(
        id: String, content: ArraySlice<UInt8>, major: Int, includePictures: Bool,
        into tags: inout TagCollector, pictures: inout [EmbeddedPicture]
    ) {
        guard let first = content.first else { return }
        let encoding = TextDecoding.Encoding(rawValue: first) ?? .latin1
        let text = content.dropFirst()
        switch id {
        case "TXXX":
            let (description, valueStart) = TextDecoding.terminated(text, encoding)
            guard !description.isEmpty, valueStart <= text.endIndex else { return }
            let values = TextDecoding.decodeList(text[valueStart...], encoding, limit: tags.room(for: description), collector: &tags)
            for value in values { tags.add(description, value) }
        case "COMM":
            guard text.count > 3 else { return }
            let (description, valueStart) = TextDecoding.terminated(text.dropFirst(3), encoding)
            // Described comments are machine data (iTunNORM, iTunSMPB...), not the user's comment.
            guard description.isEmpty else { return }
            guard valueStart <= text.endIndex else { return }
            var scratch = TagCollector()  // only the first value is wanted; the rest is not a loss
            if let value = TextDecoding.decodeList(text[valueStart...], encoding, limit: 1, collector: &scratch).first { tags.add("comment", value) }
        case "UFID":
            let (owner, idStart) = TextDecoding.terminated(content, .latin1)
            let identifier = content[idStart...].prefix(while: { $0 != 0 })
            if !owner.isEmpty, !identifier.isEmpty {
                tags.add("ufid:\(owner)", TextDecoding.decode(identifier.prefix(64), .latin1))
            }
        case "APIC":
            guard includePictures else { return }
            if major == 2 {
                // PIC: encoding, 3-char image format, type, description, data.
                guard text.count > 4 else { return }
                let format = TextDecoding.decode(text.prefix(3), .latin1)
                let type = text[text.startIndex + 3]
                let (_, dataStart) = TextDecoding.terminated(text.dropFirst(4), encoding)
                pictures.append(EmbeddedPicture(statedMime: "image/\(format.lowercased())", pictureType: type, data: Array(content[dataStart...])))
            } else {
                let (mime, typeIndex) = TextDecoding.terminated(text, .latin1)
                guard typeIndex < content.endIndex else { return }
                let type = content[typeIndex]
                let (_, dataStart) = TextDecoding.terminated(content[(typeIndex + 1)...], encoding)
                pictures.append(EmbeddedPicture(statedMime: mime, pictureType: type, data: Array(content[dataStart...])))
            }
        default:
            guard id.hasPrefix("T") else { return }
            let values = TextDecoding.decodeList(text, encoding, limit: tags.room(for: id), collector: &tags)
            for value in values { tags.add(id, value) }
        }
    }

    /// v2.4 frame sizes are syncsafe, but iTunes and others wrote plain 32-bit sizes. Use the
    /// syncsafe reading unless it lands on garbage while the plain reading lands on a frame,
    /// padding or the end.
    private static func frameSizeV24(_ body: [UInt8], at position: Int) -> Int {
        let raw = body[(position + 4)..<(position + 8)]
        let safe = syncsafe(raw)
        let plain = bigEndian(raw)
        guard raw.contains(where: { $0 >= 0x80 }) || safe != plain else { return safe }
        func plausible(_ size: Int) -> Bool {
            let next = position + 10 + size
            if next == body.count { return true }
            guard next < body.count else { return false }
            if body[next] == 0 { return true }
            guard next + 4 <= body.count else { return false }
            return body[next..<(next + 4)].allSatisfy(isFrameIDByte)
        }
        if raw.contains(where: { $0 >= 0x80 }) { return plain }
        if !plausible(safe) && plausible(plain) { return plain }
        return safe
    }

    /// Removes the 0x00 inserted after each 0xFF.
    static func undoUnsynchronisation(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var previousFF = false
        for byte in bytes {
            if previousFF && byte == 0 {
                previousFF = false
                continue
            }
            out.append(byte)
            previousFF = byte == 0xFF
        }
        return out
    }

    static func syncsafe(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(0) { $0 << 7 | Int($1 & 0x7F) }
    }

    static func bigEndian(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(0) { $0 << 8 | Int($1) }
    }

    private static func isFrameIDByte(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte)
    }

    /// ID3v2.2 three-letter frame ids as their v2.3 names, so one key table serves all versions.
    static let v22Names: [String: String] = [
        "TT2": "TIT2", "TP1": "TPE1", "TP2": "TPE2", "TP3": "TPE3", "TAL": "TALB", "TRK": "TRCK", "TPA": "TPOS",
        "TYE": "TYER", "TDA": "TDAT", "TCO": "TCON", "TCM": "TCOM", "TBP": "TBPM", "TKE": "TKEY", "TCP": "TCMP",
        "TXX": "TXXX", "COM": "COMM", "PIC": "APIC", "UFI": "UFID", "TPB": "TPUB", "TOR": "TORY", "TT1": "TIT1",
        "TT3": "TIT3", "ULT": "USLT", "SLT": "SYLT",
    ]
}
