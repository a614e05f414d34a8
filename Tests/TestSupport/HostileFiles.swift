import Foundation

/// Files crafted the way an attacker would, to prove the daemon survives them (issue 18).
public enum HostileFiles {
    /// An RF64 WAV (16-bit stereo, 44.1 kHz, 0.1 s of real samples) whose `ds64` chunk declares
    /// `samples` samples and `dataBytes` bytes of data. With `samples` = 2^62 and `dataBytes`
    /// past the end of the file, libavformat keeps the declared count (`ffprobe` shows
    /// `duration_ts=4611686018427387904`), and `samples × block align` overflows 64 bits.
    public static func rf64(samples: UInt64 = 1 << 62, dataBytes: UInt64 = 1 << 59) -> Data {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        var pcm: [UInt8] = []
        for i in 0..<4410 {
            pcm += le(Int16(8000 * sin(Double(i) * 0.05)))
            pcm += le(Int16(8000 * sin(Double(i) * 0.07)))
        }
        let ds64 = le(UInt64(0)) + le(dataBytes) + le(samples) + le(UInt32(0))
        let fmt = le(UInt16(1)) + le(UInt16(2)) + le(UInt32(44100)) + le(UInt32(44100 * 4)) + le(UInt16(4)) + le(UInt16(16))
        let body = Array("WAVE".utf8) + Array("ds64".utf8) + le(UInt32(ds64.count)) + ds64
            + Array("fmt ".utf8) + le(UInt32(fmt.count)) + fmt + Array("data".utf8) + le(UInt32.max) + pcm
        return Data(Array("RF64".utf8) + le(UInt32.max) + body)
    }

    /// The smallest bytes the image sniffer takes for a JPEG (SOI, an APP0 marker, EOI).
    public static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9])

    /// An M3U whose durations are numbers no track has: 1e300, inf, -inf, nan, 2^63.
    public static func m3u(_ locations: [String]) -> String {
        let durations = ["1e300", "inf", "-inf", "nan", "9223372036854775808", "-1"]
        var text = "#EXTM3U\n"
        for (index, location) in locations.enumerated() {
            text += "#EXTINF:\(durations[index % durations.count]),Someone - Something\n\(location)\n"
        }
        return text
    }

    // MARK: Tags libavformat reads without limits (issue 18, decision 0021)

    /// A Vorbis comment body: vendor "hostile", then `entries` (`KEY=value`).
    public static func vorbisComment(_ entries: [String]) -> [UInt8] {
        func le32(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)] }
        var out = le32(7) + Array("hostile".utf8) + le32(entries.count)
        for entry in entries { out += le32(entry.utf8.count) + Array(entry.utf8) }
        return out
    }

    /// The Ogg file `source` (Vorbis or Opus, one logical stream) with its comment packet replaced
    /// by one holding `entries`, its header packets laid out on new pages (CRCs computed) and its
    /// audio pages renumbered after them. libavformat reads such a comment into a dictionary
    /// entry by entry: 20,000 `ARTIST=a` cost it quadratic time, a million held `ffprobe` for
    /// minutes.
    public static func ogg(_ source: [UInt8], comment entries: [String]) -> [UInt8] {
        // The pages: (header, segment table, body).
        var pages: [(header: [UInt8], lacing: [UInt8], body: [UInt8])] = []
        var position = 0
        while position + 27 <= source.count, source[position..<(position + 4)].elementsEqual("OggS".utf8) {
            let count = Int(source[position + 26])
            let lacing = Array(source[(position + 27)..<(position + 27 + count)])
            let start = position + 27 + count
            let end = start + lacing.reduce(0) { $0 + Int($1) }
            pages.append((Array(source[position..<(position + 27)]), lacing, Array(source[start..<end])))
            position = end
        }
        let opus = pages[0].body.starts(with: Array("OpusHead".utf8))
        let headerCount = opus ? 2 : 3
        // The header packets and the number of pages they fill.
        var packets: [[UInt8]] = []
        var current: [UInt8] = []
        var used = 0
        for page in pages where packets.count < headerCount {
            var offset = 0
            for value in page.lacing {
                current += page.body[offset..<(offset + Int(value))]
                offset += Int(value)
                if value < 255 {
                    packets.append(current)
                    current = []
                }
            }
            used += 1
        }
        packets[1] = (opus ? Array("OpusTags".utf8) : [3] + Array("vorbis".utf8)) + vorbisComment(entries) + (opus ? [] : [1])
        var out: [UInt8] = []
        var sequence = 0
        func page(_ header: [UInt8], flags: UInt8, granule: [UInt8]?, lacing: [UInt8], body: [UInt8]) {
            var bytes = header
            bytes[5] = flags
            if let granule { bytes.replaceSubrange(6..<14, with: granule) }
            bytes.replaceSubrange(18..<22, with: [UInt8(sequence & 0xFF), UInt8((sequence >> 8) & 0xFF), UInt8((sequence >> 16) & 0xFF), 0])
            bytes.replaceSubrange(22..<26, with: [0, 0, 0, 0])
            bytes[26] = UInt8(lacing.count)
            bytes += lacing + body
            var crc: UInt32 = 0
            for byte in bytes {
                crc ^= UInt32(byte) << 24
                for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
            }
            bytes.replaceSubrange(22..<26, with: [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)])
            out += bytes
            sequence += 1
        }
        page(pages[0].header, flags: 2, granule: nil, lacing: pages[0].lacing, body: pages[0].body)
        var lacing: [UInt8] = []
        var body: [UInt8] = []
        var continued = false
        for packet in packets.dropFirst() {
            var values = [UInt8](repeating: 255, count: packet.count / 255)
            values.append(UInt8(packet.count % 255))
            var offset = 0
            for value in values {
                lacing.append(value)
                body += packet[offset..<(offset + Int(value))]
                offset += Int(value)
                if lacing.count == 255 {
                    page(pages[0].header, flags: continued ? 1 : 0, granule: [UInt8](repeating: 0, count: 8), lacing: lacing, body: body)
                    continued = value == 255
                    lacing = []
                    body = []
                }
            }
        }
        if !lacing.isEmpty {
            page(pages[0].header, flags: continued ? 1 : 0, granule: [UInt8](repeating: 0, count: 8), lacing: lacing, body: body)
        }
        for audio in pages[used...] {
            page(audio.header, flags: audio.header[5], granule: nil, lacing: audio.lacing, body: audio.body)
        }
        return out
    }

    /// The MP4 file `source` (its `moov` after `mdat`, as ffmpeg writes it by default, so no
    /// offset moves) with `count` iTunes freeform items of distinct names (`----`, mean
    /// `com.apple.iTunes`, name `K0000001`...) appended to its `moov/udta/meta/ilst`. libavformat
    /// puts each into its dictionary with a linear insert: a quarter of a million held `ffprobe`
    /// for minutes.
    public static func m4a(_ source: [UInt8], freeformItems count: Int) -> [UInt8] {
        func be32(_ value: Int) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
        func atom(_ type: String, _ body: [UInt8]) -> [UInt8] { be32(8 + body.count) + Array(type.utf8) + body }
        func children(_ bytes: ArraySlice<UInt8>) -> [(type: String, bytes: ArraySlice<UInt8>)] {
            var out: [(String, ArraySlice<UInt8>)] = []
            var position = bytes.startIndex
            while position + 8 <= bytes.endIndex {
                let size = bytes[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
                guard size >= 8, position + size <= bytes.endIndex else { break }
                out.append((String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self), bytes[position..<(position + size)]))
                position += size
            }
            return out
        }
        var items: [UInt8] = []
        for index in 0..<count {
            let name = "K" + String(100_000_000 + index).dropFirst(2)
            items += atom("----", atom("mean", [0, 0, 0, 0] + Array("com.apple.iTunes".utf8)) + atom("name", [0, 0, 0, 0] + Array(name.utf8))
                          + atom("data", be32(1) + be32(0) + Array("a".utf8)))
        }
        /// `container` (a whole atom) with the child on `path` rebuilt by `change`.
        func rebuild(_ container: ArraySlice<UInt8>, _ path: [String], _ change: (ArraySlice<UInt8>) -> [UInt8]) -> [UInt8] {
            let type = String(decoding: container[(container.startIndex + 4)..<(container.startIndex + 8)], as: UTF8.self)
            let skip = type == "meta" ? 4 : 0
            let bodyStart = container.startIndex + 8 + skip
            guard let next = path.first else { return change(container) }
            var body = Array(container[(container.startIndex + 8)..<bodyStart])
            for child in children(container[bodyStart...]) {
                body += child.type == next ? rebuild(child.bytes, Array(path.dropFirst()), change) : Array(child.bytes)
            }
            return atom(type, body)
        }
        var out: [UInt8] = []
        for top in children(source[...]) {
            out += top.type == "moov"
                ? rebuild(top.bytes, ["udta", "meta", "ilst"]) { ilst in atom("ilst", Array(ilst.dropFirst(8)) + items) }
                : Array(top.bytes)
        }
        return out
    }
}
