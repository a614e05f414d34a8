import OmniModel

/// The comment header of an Ogg file's first logical stream (Vorbis, Opus, Speex or FLAC in Ogg),
/// located from the page headers, and — when it is over `TagLimits` — the file as libavformat
/// should read it: the same bytes with the comment's entry count set to 0.
///
/// libavformat's Vorbis comment reader puts every entry into a dictionary whose inserts are linear
/// and whose repeated keys are appended to one growing string, so a comment packet of a million
/// entries holds a probe thread for minutes (issue 18; `ffprobe` was killed at 20 s on such a
/// 16 MB `.ogg` and `.opus`). The packet cannot be dropped the way a FLAC block can (its pages
/// carry the following setup header and granule positions), but its entry count is four bytes:
/// zeroed, libavformat reads a vendor string and no entries, and we read the entries within the
/// limits. The page holding the count gets its CRC recomputed, so the patched file is valid Ogg.
///
/// Every logical stream that starts in the file is looked at (`chain`): a chained file's later
/// links, whose comments libavformat parses when a reader reaches them, are checked the same way
/// (decision 0021 § 5).
struct OggLayout {
    enum Codec { case vorbis, opus, speex, flac }

    var codec: Codec
    /// The stream's serial number (its pages' bytes 14–17).
    var serial: [UInt8] = []
    /// The comment packet's bytes in the file, in order (it may span pages), each with the
    /// offset of the page it is in.
    var commentRanges: [(offset: Int, count: Int, page: Int)] = []
    /// The comment packet's length in bytes.
    var commentSize = 0
    /// The entry count the comment declares, and the file offsets of its four bytes.
    var entryCount = 0
    var countOffsets: [Int] = []

    /// Pages walked to find the end of the comment packet (64 MiB of 64 KiB pages at most).
    static let maxPages = 1024
    /// Page headers walked to find the later links of a chained file (a few hundred ms at most,
    /// for a file of minimal pages; a 30 MB Vorbis file has about 7,000 pages).
    static let maxChainPages = 1 << 18

    /// Bytes before the Vorbis comment body in the comment packet.
    var prefixBytes: Int {
        switch codec {
        case .vorbis: 7 // 0x03 "vorbis"
        case .opus: 8 // "OpusTags"
        case .speex: 0
        case .flac: 4 // the FLAC metadata block header
        }
    }

    /// True when libavformat must not read the comment's entries: more of them than we look at,
    /// or more bytes than `FLACLayout.libavCommentBytes` (its repeated keys cost quadratic time).
    var needsRepair: Bool {
        countOffsets.count == 4 && (entryCount > TagLimits.vorbisEntries || commentSize > FLACLayout.libavCommentBytes)
    }

    /// One page's header (RFC 3533 § 6), as the walks above and below read it: nil when the bytes
    /// at `position` are not a page header, or the page runs past the end of the file.
    struct Page {
        /// The stream the page belongs to.
        let serial: [UInt8]
        /// The lacing values: a packet ends at each value below 255.
        let lacing: ArraySlice<UInt8>
        /// Where the page's body starts, and the offset just past the page.
        let body: Int, end: Int
        /// Version 0 and the "beginning of stream" flag: the first page of a stream.
        let beginsStream: Bool

        init?(_ file: FileReader, at position: Int) {
            let header = file.read(at: position, count: 27 + 255)
            guard header.count >= 27, header.starts(with: Array("OggS".utf8)) else { return nil }
            let segments = Int(header[26])
            guard header.count >= 27 + segments else { return nil }
            serial = Array(header[14..<18])
            lacing = header[27..<(27 + segments)]
            body = position + 27 + segments
            end = body + lacing.reduce(0) { $0 + Int($1) }
            beginsStream = header[4] == 0 && header[5] & 0x02 != 0
            guard end <= file.size else { return nil }
        }
    }

    /// Walks the page headers at `start`, or nil when the file is not Ogg, the first stream is not
    /// one of the four codecs, or its comment packet is not found whole.
    static func read(_ file: FileReader, start: Int) -> OggLayout? {
        guard let first = Page(file, at: start), first.beginsStream else { return nil }
        let serial = first.serial
        guard let codec = codec(firstPacket: file.read(at: first.body, count: 16)) else { return nil }
        var layout = OggLayout(codec: codec, serial: serial)
        // Packets of this stream, counted from its first page; the comment is packet 1.
        var packet = 0
        var position = start
        for _ in 0..<maxPages {
            guard let page = Page(file, at: position) else { return nil }
            var bodyOffset = page.body
            if page.serial == serial {
                for lacing in page.lacing {
                    if packet == 1 {
                        // The packet's bytes in one page are contiguous: one range per page.
                        if let last = layout.commentRanges.last, last.page == position {
                            layout.commentRanges[layout.commentRanges.count - 1].count += Int(lacing)
                        } else {
                            layout.commentRanges.append((bodyOffset, Int(lacing), position))
                        }
                        layout.commentSize += Int(lacing)
                    }
                    bodyOffset += Int(lacing)
                    if lacing < 255 {
                        if packet == 1 { return layout.locatingCount(file) }
                        packet += 1
                    }
                }
            }
            position = page.end
        }
        return nil
    }

    /// The codec whose identification header `body` (the first bytes of a stream's first packet)
    /// starts with, or nil when it is none of the four.
    static func codec(firstPacket body: [UInt8]) -> Codec? {
        if body.starts(with: [0x01] + Array("vorbis".utf8)) { return .vorbis }
        if body.starts(with: Array("OpusHead".utf8)) { return .opus }
        if body.starts(with: Array("Speex   ".utf8)) { return .speex }
        if body.starts(with: [0x7F] + Array("FLAC".utf8)) { return .flac }
        return nil
    }

    /// Where the first stream's audio starts: the end of the page that ends its last header
    /// packet (Vorbis, Opus, Speex and FLAC in Ogg all start audio on a fresh page), or nil when
    /// the file is not Ogg of the four codecs, the header count is unknown (an Ogg FLAC may leave
    /// it 0), or the headers do not end within `maxPages` pages. The bit rate of a VBR stream is
    /// its bytes from here over its length (decision 0034), not the encoder's nominal rate.
    /// Reads one page header per page of the headers (two or three for a usual file).
    static func audioStart(_ file: FileReader, start: Int) -> Int? {
        guard let first = Page(file, at: start), first.beginsStream else { return nil }
        let serial = first.serial
        // The identification header: 80 bytes hold Speex's extra-header count (offset 68).
        let body = file.read(at: first.body, count: 80)
        let headers: Int
        switch codec(firstPacket: body) {
        case .vorbis?: headers = 3 // identification, comment, setup
        case .opus?: headers = 2 // OpusHead, OpusTags
        case .speex?:
            guard body.count >= 72 else { return nil }
            let extra = le32(body[68...])
            guard extra < 256 else { return nil }
            headers = 2 + extra
        case .flac?:
            // The mapping header's count of the metadata packets that follow it (0: unknown).
            guard body.count >= 9, Int(body[7]) << 8 | Int(body[8]) > 0 else { return nil }
            headers = 1 + (Int(body[7]) << 8 | Int(body[8]))
        case nil: return nil
        }
        var packets = 0
        var position = start
        for _ in 0..<maxPages {
            guard let page = Page(file, at: position) else { return nil }
            if page.serial == serial {
                packets += page.lacing.filter { $0 < 255 }.count
                if packets >= headers { return page.end }
            }
            position = page.end
        }
        return nil
    }

    /// The first stream's layout, then that of every later stream that starts in the file (the
    /// links of a chained file, or streams multiplexed with the first) and is one of the four
    /// codecs; nil when the first is not. A file whose last page belongs to the first stream has
    /// no later link (serial numbers are unique in a physical stream, RFC 3533 § 4), so only the
    /// last 64 KiB are read; otherwise the page headers are walked (`maxChainPages`).
    static func chain(_ file: FileReader, start: Int) -> [OggLayout]? {
        guard let first = read(file, start: start) else { return nil }
        if let last = lastPageSerial(file), last == first.serial { return [first] }
        var links = [first]
        var seen: Set<[UInt8]> = [first.serial]
        var position = start
        for _ in 0..<maxChainPages where position < file.size {
            let header = file.read(at: position, count: 27 + 255)
            guard header.count >= 27, header.starts(with: Array("OggS".utf8)) else { break }
            let segments = Int(header[26])
            guard header.count >= 27 + segments else { break }
            if header[5] & 0x02 != 0, seen.insert(Array(header[14..<18])).inserted, let link = read(file, start: position) {
                links.append(link)
            }
            position += 27 + segments + header[27..<(27 + segments)].reduce(0) { $0 + Int($1) }
        }
        return links
    }

    /// The serial number of the page that ends the file, or nil when none does (trailing bytes).
    static func lastPageSerial(_ file: FileReader) -> [UInt8]? {
        let tailStart = max(0, file.size - (65_536 + 27 + 255))
        let tail = file.read(at: tailStart, count: file.size - tailStart)
        var index = tail.count - 27
        while index >= 0 {
            if tail[index] == 0x4F, tail[index + 1] == 0x67, tail[index + 2] == 0x67, tail[index + 3] == 0x53 {
                let segments = Int(tail[index + 26])
                if index + 27 + segments <= tail.count,
                   index + 27 + segments + tail[(index + 27)..<(index + 27 + segments)].reduce(0, { $0 + Int($1) }) == tail.count {
                    return Array(tail[(index + 14)..<(index + 18)])
                }
            }
            index -= 1
        }
        return nil
    }

    /// The file with the entry count of each of `links` zeroed (their pages' CRCs recomputed).
    static func repairedInput(_ file: FileReader, _ links: [OggLayout]) -> PatchedInput {
        PatchedInput(file: file, patches: links.flatMap { $0.patches(file) })
    }

    /// The file offset of byte `index` of the comment packet.
    func fileOffset(_ index: Int) -> Int? {
        var skipped = 0
        for range in commentRanges {
            if index < skipped + range.count { return range.offset + index - skipped }
            skipped += range.count
        }
        return nil
    }

    /// `count` bytes of the comment packet from `index` (fewer at its end).
    func commentBytes(_ file: FileReader, from index: Int, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var skipped = 0
        for range in commentRanges where out.count < count {
            defer { skipped += range.count }
            let end = skipped + range.count
            guard end > index else { continue }
            let from = max(index, skipped)
            out += file.read(at: range.offset + from - skipped, count: min(end - from, count - out.count))
        }
        return out
    }

    /// Fills `entryCount` and `countOffsets` from the packet's prefix and vendor string.
    private func locatingCount(_ file: FileReader) -> OggLayout {
        var layout = self
        let prefix = commentBytes(file, from: 0, count: prefixBytes + 4)
        guard prefix.count == prefixBytes + 4 else { return layout }
        switch codec {
        case .vorbis: guard prefix.starts(with: [0x03] + Array("vorbis".utf8)) else { return layout }
        case .opus: guard prefix.starts(with: Array("OpusTags".utf8)) else { return layout }
        case .flac: guard prefix[0] & 0x7F == FLACLayout.vorbisComment else { return layout }
        case .speex: break
        }
        let vendor = OggLayout.le32(prefix[prefixBytes...])
        guard vendor <= commentSize else { return layout }
        let at = prefixBytes + 4 + vendor
        let count = commentBytes(file, from: at, count: 4)
        let offsets = (at..<(at + 4)).compactMap { fileOffset($0) }
        guard count.count == 4, offsets.count == 4 else { return layout }
        layout.entryCount = OggLayout.le32(count[...])
        layout.countOffsets = offsets
        return layout
    }

    /// The file with the entry count zeroed and the CRC of each page it touches recomputed.
    func repairedInput(_ file: FileReader) -> PatchedInput {
        PatchedInput(file: file, patches: patches(file))
    }

    /// The patches that zero the entry count and fix the CRC of each page it touches.
    func patches(_ file: FileReader) -> [(offset: Int, bytes: [UInt8])] {
        var patches: [(offset: Int, bytes: [UInt8])] = countOffsets.map { ($0, [0]) }
        let pages = Set(countOffsets.compactMap { offset in
            commentRanges.first(where: { offset >= $0.offset && offset < $0.offset + $0.count })?.page
        })
        for page in pages {
            let header = file.read(at: page, count: 27 + 255)
            guard header.count >= 27 else { continue }
            let segments = Int(header[26])
            let length = 27 + segments + header[27..<(27 + segments)].reduce(0) { $0 + Int($1) }
            var bytes = file.read(at: page, count: length)
            for offset in countOffsets where offset >= page && offset < page + bytes.count { bytes[offset - page] = 0 }
            bytes[22] = 0; bytes[23] = 0; bytes[24] = 0; bytes[25] = 0
            let crc = OggCRC.checksum(bytes)
            patches.append((page + 22, [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)]))
        }
        return patches
    }

    /// Reads the comment's entries within `TagLimits` (pictures from `METADATA_BLOCK_PICTURE`).
    func tags(_ file: FileReader, includePictures: Bool) -> (collector: TagCollector, pictures: [EmbeddedPicture]) {
        var collector = TagCollector()
        var pictures: [EmbeddedPicture] = []
        let bytes = commentBytes(file, from: prefixBytes, count: min(commentSize, 16 << 20))
        VorbisComment.parse(bytes[...], into: &collector, pictures: &pictures, keepPictures: includePictures)
        return (collector, pictures)
    }

    static func le32(_ bytes: ArraySlice<UInt8>) -> Int {
        let b = Array(bytes.prefix(4))
        return Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
    }
}

/// Ogg's page checksum: CRC-32, polynomial 0x04C11DB7, initial value 0, no reflection.
enum OggCRC {
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index) << 24
        for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        return crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0
        for byte in bytes { crc = (crc << 8) ^ table[Int((crc >> 24) ^ UInt32(byte))] }
        return crc
    }
}
