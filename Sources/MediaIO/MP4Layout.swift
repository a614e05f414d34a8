import OmniModel

/// The tag containers of an MP4 file (`moov/udta`, `…/meta/ilst`, `trak/udta`), walked from the
/// atom headers, and — when one holds more items than `TagLimits` allows — the file as libavformat
/// should read it: that container's type renamed `free`, so libavformat skips it.
///
/// libavformat reads every item of an `ilst` or `udta` into a dictionary whose inserts are linear,
/// and an iTunes freeform item (`----`) may carry any name, so an `ilst` of a quarter of a million
/// distinct items holds a probe thread for minutes (`ffprobe` was killed at 20 s on such an
/// 18 MB `.m4a`). Renaming four bytes keeps every offset (the sample tables point into `mdat`);
/// the iTunes `ilst` is then read by `MP4Items` within the limits.
struct MP4Layout {
    /// Offsets of the type fields of the containers libavformat must not read.
    var hidden: [Int] = []
    /// The body of `moov/udta/meta/ilst` (the iTunes tags), when it is hidden.
    var hiddenItems: (offset: Int, count: Int)?

    /// Atoms looked at in one container; a container with more is not walked further.
    static let maxChildren = 4096
    /// `moov` sizes read into memory whole for the walk (larger ones are walked with `pread`s).
    static let prefetchBytes = 4 << 20

    var needsRepair: Bool { !hidden.isEmpty }

    /// One atom header: its type, where its type field and body are, and where it ends.
    struct Atom {
        var type: [UInt8]
        var typeOffset: Int
        var body: Int
        var end: Int
    }

    /// The atom at `offset` inside a parent ending at `limit`, or nil when it does not fit.
    static func atom(_ file: FileReader, at offset: Int, limit: Int) -> Atom? {
        guard offset + 8 <= limit else { return nil }
        let header = file.read(at: offset, count: 16)
        guard header.count >= 8 else { return nil }
        let size32 = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        var body = offset + 8
        var size = size32
        if size32 == 1 {
            guard header.count == 16, header[8] & 0x80 == 0 else { return nil }
            size = header[8..<16].reduce(0) { $0 << 8 | Int($1) }
            body = offset + 16
        } else if size32 == 0 {
            size = limit - offset
        }
        guard size >= body - offset, size <= limit - offset else { return nil }
        return Atom(type: Array(header[4..<8]), typeOffset: offset + 4, body: body, end: offset + size)
    }

    /// The children of the body `from..<to`, at most `limit` of them.
    static func children(_ file: FileReader, from: Int, to: Int, limit: Int = maxChildren) -> [Atom] {
        var out: [Atom] = []
        var position = from
        while out.count < limit, let child = atom(file, at: position, limit: to) {
            out.append(child)
            position = child.end
        }
        return out
    }

    /// Walks the file when it starts with an `ftyp` atom; nil for anything else.
    static func read(_ file: FileReader) -> MP4Layout? {
        guard file.read(at: 4, count: 4) == Array("ftyp".utf8) else { return nil }
        var layout = MP4Layout()
        let top = children(file, from: 0, to: file.size, limit: 256)
        guard let moov = top.first(where: { $0.type == Array("moov".utf8) }) else { return layout }
        if moov.end - moov.body <= prefetchBytes, moov.end > FileReader.headBytes {
            file.prefetch(at: moov.body, count: moov.end - moov.body)
        }
        for child in children(file, from: moov.body, to: moov.end) {
            switch String(decoding: child.type, as: UTF8.self) {
            case "udta": layout.visitUserData(file, child, iTunes: true)
            case "meta": layout.visitMeta(file, child, iTunes: false)
            case "trak":
                for udta in children(file, from: child.body, to: child.end) where udta.type == Array("udta".utf8) {
                    layout.visitUserData(file, udta, iTunes: false)
                }
            default: break
            }
        }
        return layout
    }

    /// A `udta`: hidden whole when it has too many items (each is a tag for libavformat), else
    /// its `meta` is looked at.
    private mutating func visitUserData(_ file: FileReader, _ udta: MP4Layout.Atom, iTunes: Bool) {
        let items = MP4Layout.children(file, from: udta.body, to: udta.end, limit: TagLimits.values + 1)
        if items.count > TagLimits.values {
            hidden.append(udta.typeOffset)
            return
        }
        for meta in items where meta.type == Array("meta".utf8) {
            visitMeta(file, meta, iTunes: iTunes)
        }
    }

    /// A `meta` (an ISO full box, or QuickTime's plain one when `hdlr` follows at once): its
    /// `ilst` is hidden when it has too many items.
    private mutating func visitMeta(_ file: FileReader, _ meta: MP4Layout.Atom, iTunes: Bool) {
        let quickTime = file.read(at: meta.body + 4, count: 4) == Array("hdlr".utf8)
        let body = quickTime ? meta.body : meta.body + 4
        for ilst in MP4Layout.children(file, from: body, to: meta.end) where ilst.type == Array("ilst".utf8) {
            if MP4Layout.children(file, from: ilst.body, to: ilst.end, limit: TagLimits.values + 1).count > TagLimits.values {
                hidden.append(ilst.typeOffset)
                if iTunes, hiddenItems == nil { hiddenItems = (ilst.body, ilst.end - ilst.body) }
            }
        }
    }

    /// The file with each hidden container's type renamed `free`.
    func repairedInput(_ file: FileReader) -> PatchedInput {
        PatchedInput(file: file, patches: hidden.map { ($0, Array("free".utf8)) })
    }

    /// The hidden iTunes items, read within `TagLimits` (nil when none was hidden).
    func tags(_ file: FileReader, includePictures: Bool) -> (collector: TagCollector, pictures: [EmbeddedPicture])? {
        guard let hiddenItems else { return nil }
        var collector = TagCollector()
        var pictures: [EmbeddedPicture] = []
        let bytes = file.read(at: hiddenItems.offset, count: min(hiddenItems.count, 16 << 20))
        MP4Items.parse(bytes[...], into: &collector, pictures: &pictures, keepPictures: includePictures)
        return (collector, pictures)
    }
}

/// Our reader of iTunes `ilst` items, used when libavformat must not read them (`MP4Layout`).
///
/// Each item is an atom named by its key (`©nam`, `trkn`, `covr`, or `----` with `mean` and
/// `name` children) holding `data` atoms: a type (1 UTF-8, 2 UTF-16, 21/22 integers, 0 the
/// binary `trkn`/`disk` pairs, 13/14 JPEG/PNG) and a locale, then the value. Keys are reported as
/// the atom names `TagKeys` knows (`©nam`, `trkn`…) and freeform items under their `name`, as
/// libavformat does. Every length is checked against the bytes there are.
enum MP4Items {
    static func parse(_ bytes: ArraySlice<UInt8>, into tags: inout TagCollector, pictures: inout [EmbeddedPicture], keepPictures: Bool) {
        var position = bytes.startIndex
        while let item = child(bytes, at: position) {
            position = item.end
            if tags.isFull {
                // The rest is not walked: a hostile list may hold millions of items.
                tags.drop(1)
                return
            }
            let name = item.type
            // Atom names are Latin-1 ("©nam"); libavformat calls `gnre` "genre".
            var key = String(String.UnicodeScalarView(name.map { Unicode.Scalar($0) }))
            if key == "gnre" { key = "genre" }
            var values: [(type: Int, payload: ArraySlice<UInt8>)] = []
            var inner = item.body
            while let part = child(bytes, at: inner, end: item.end) {
                inner = part.end
                let body = bytes[part.body..<part.end]
                switch String(decoding: part.type, as: UTF8.self) {
                case "name" where body.count >= 4:
                    key = String(decoding: body.dropFirst(4), as: UTF8.self)
                case "data" where body.count >= 8:
                    let type = Int(body[body.startIndex + 1]) << 16 | Int(body[body.startIndex + 2]) << 8 | Int(body[body.startIndex + 3])
                    values.append((type, body.dropFirst(8)))
                default: break
                }
            }
            for value in values {
                if key == "covr" {
                    if keepPictures, pictures.count < TagLimits.pictures, !value.payload.isEmpty {
                        pictures.append(EmbeddedPicture(statedMime: value.type == 14 ? "image/png" : "image/jpeg", pictureType: 3,
                                                        data: Array(value.payload)))
                    }
                    continue
                }
                guard let text = text(key: key, type: value.type, value.payload) else { continue }
                if text.utf8.count > TagLimits.valueBytes {
                    tags.noteCut()
                    tags.add(key, String(decoding: text.utf8.prefix(TagLimits.valueBytes), as: UTF8.self))
                } else {
                    tags.add(key, text)
                }
            }
        }
        if position < bytes.endIndex, bytes.endIndex - position >= 8 {
            tags.noteDamage("an item runs past the list's end; it and the items after it were skipped")
        }
    }

    /// A value as text: strings decoded, `trkn`/`disk` as "n/total", integers in decimal,
    /// `gnre` as its ID3v1 genre name.
    static func text(key: String, type: Int, _ payload: ArraySlice<UInt8>) -> String? {
        switch type {
        case 1: return String(decoding: payload.prefix(TagLimits.valueBytes), as: UTF8.self)
        case 2:
            let units = stride(from: payload.startIndex, to: payload.endIndex - 1, by: 2).prefix(TagLimits.valueBytes / 2).map {
                UInt16(payload[$0]) << 8 | UInt16(payload[$0 + 1])
            }
            return String(decoding: units, as: UTF16.self)
        case 0 where (key == "trkn" || key == "disk") && payload.count >= 6:
            let base = payload.startIndex
            let number = Int(payload[base + 2]) << 8 | Int(payload[base + 3])
            let total = Int(payload[base + 4]) << 8 | Int(payload[base + 5])
            return total > 0 ? "\(number)/\(total)" : "\(number)"
        case 0 where key == "genre" && payload.count >= 2:
            return ID3Genres.name((Int(payload[payload.startIndex]) << 8 | Int(payload[payload.startIndex + 1])) - 1)
        case 0, 21, 22:
            guard (1...8).contains(payload.count) else { return nil }
            var value = payload.reduce(0) { $0 << 8 | Int($1) }
            if type != 22, payload.count < 8, payload[payload.startIndex] & 0x80 != 0 { value -= 1 << (8 * payload.count) }
            return String(value)
        default: return nil
        }
    }

    /// The atom at `offset` within `bytes` (or `end`), with 32-bit sizes only (as in `ilst`).
    private static func child(_ bytes: ArraySlice<UInt8>, at offset: Int, end: Int? = nil) -> (type: [UInt8], body: Int, end: Int)? {
        let limit = end ?? bytes.endIndex
        guard offset + 8 <= limit else { return nil }
        let size = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        guard size >= 8, size <= limit - offset else { return nil }
        return (Array(bytes[(offset + 4)..<(offset + 8)]), offset + 8, offset + size)
    }
}
