import OmniModel

/// The metadata of a FLAC file walked from its block headers, checked, and — when it is damaged
/// or over `TagLimits` — the repaired file libavformat reads instead.
///
/// libavformat's FLAC demuxer gives up on the whole file at a bad PICTURE block, a block length
/// that runs past the metadata, or a STREAMINFO that is not first, and it reads a Vorbis comment
/// block of any size into a dictionary whose inserts are linear (a 16 MB block of one-letter
/// entries kept it busy for hours). So every FLAC's block headers are walked (a few `pread`s);
/// a sound file goes to libavformat untouched, any other is shown to it as `fLaC` + a valid
/// STREAMINFO + the audio frames, while its comments and pictures are read here, within limits.
struct FLACLayout {
    struct Block {
        var type: UInt8
        /// Offset of the body (after the 4-byte header).
        var offset: Int
        var length: Int
    }

    static let streamInfo: UInt8 = 0
    static let vorbisComment: UInt8 = 4
    static let picture: UInt8 = 6
    /// Blocks looked at; a file with more is treated as damaged.
    static let maxBlocks = 1024
    /// How far past the STREAMINFO the first audio frame is searched for when the lengths lie.
    static let maxMetadataBytes = 32 << 20

    /// Offset of "fLaC".
    var start: Int
    var blocks: [Block] = []
    /// Offset of the first audio frame.
    var audioStart: Int?
    /// What is wrong, in plain words; empty for a sound file.
    var damage: [String] = []

    /// Walks the blocks of the FLAC stream at `start` (after any ID3v2 tag), or nil when there is
    /// no "fLaC" there.
    static func read(_ file: FileReader, start: Int) -> FLACLayout? {
        guard file.read(at: start, count: 4) == Array("fLaC".utf8) else { return nil }
        var layout = FLACLayout(start: start)
        var position = start + 4
        var last = false
        while !last {
            guard layout.blocks.count < maxBlocks else {
                layout.damage.append("more than \(maxBlocks) metadata blocks")
                break
            }
            let header = file.read(at: position, count: 4)
            guard header.count == 4 else {
                layout.damage.append("the metadata ends with the file")
                break
            }
            last = header[0] & 0x80 != 0
            let type = header[0] & 0x7F
            let length = Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            if type == 127 || (type == streamInfo && !layout.blocks.isEmpty) {
                // A second STREAMINFO is what zeros (padding, audio) look like as a header.
                layout.damage.append("block \(layout.blocks.count + 1) is not a valid block (the length of the block before it is wrong)")
                break
            }
            guard position + 4 + length <= file.size else {
                layout.blocks.append(Block(type: type, offset: position + 4, length: file.size - position - 4))
                layout.damage.append("block \(layout.blocks.count) (type \(type)) claims \(length) bytes, past the end of the file")
                break
            }
            layout.blocks.append(Block(type: type, offset: position + 4, length: length))
            if type == picture, !pictureFits(file, offset: position + 4, length: length) {
                // libavformat fails the whole file on a PICTURE block whose lengths do not add up.
                layout.damage.append("PICTURE block \(layout.blocks.count) is malformed (its lengths overrun the block)")
            }
            position += 4 + length
        }
        if layout.damage.isEmpty {
            if FLACFrame(file.read(at: position, count: 16)[...]) != nil {
                layout.audioStart = position
            } else {
                layout.damage.append("the audio does not start where the metadata says (a block length is wrong)")
            }
        }
        if layout.blocks.first.map({ $0.type != streamInfo || $0.length < 34 }) ?? true {
            layout.damage.append("STREAMINFO is not the first block")
        } else if let info = layout.streamInfo(file), info.sampleRate == 0 {
            layout.damage.append("STREAMINFO is invalid (sample rate 0)")
        }
        if layout.audioStart == nil {
            // The blocks before the last one read are sound: search from the last one's body.
            let from = layout.blocks.last?.offset ?? start + 4
            layout.audioStart = findFrame(file, from: from, to: min(file.size, from + maxMetadataBytes))
        }
        return layout
    }

    /// Comment bytes above which our reader, not libavformat's, reads the comments.
    static let libavCommentBytes = 256 << 10

    /// True when libavformat must read the repaired file: the metadata is damaged, or its
    /// comments or pictures are more than libavformat should be given.
    var needsRepair: Bool {
        !damage.isEmpty
            || blocks.contains { $0.type == FLACLayout.vorbisComment && $0.length > FLACLayout.libavCommentBytes }
            || blocks.filter({ $0.type == FLACLayout.picture }).count > TagLimits.pictures
    }

    /// The STREAMINFO fields libavformat needs, from the first block when it is one.
    func streamInfo(_ file: FileReader) -> (sampleRate: Int, channels: Int, bits: Int, samples: Int64, body: [UInt8])? {
        guard let first = blocks.first, first.type == FLACLayout.streamInfo, first.length >= 34 else { return nil }
        let b = file.read(at: first.offset, count: 34)
        guard b.count == 34 else { return nil }
        let rate = Int(b[10]) << 12 | Int(b[11]) << 4 | Int(b[12] >> 4)
        let samples = Int64(b[13] & 0x0F) << 32 | Int64(b[14]) << 24 | Int64(b[15]) << 16 | Int64(b[16]) << 8 | Int64(b[17])
        return (rate, Int((b[12] >> 1) & 0x7) + 1, Int((b[12] & 0x1) << 4 | b[13] >> 4) + 1, samples, b)
    }

    /// The first offset in `from..<to` where a FLAC frame header with a valid CRC-8 starts.
    static func findFrame(_ file: FileReader, from: Int, to: Int) -> Int? {
        var chunkStart = from
        let chunkSize = 1 << 16
        while chunkStart < to {
            let chunk = file.read(at: chunkStart, count: min(chunkSize + 16, to - chunkStart + 16))
            guard chunk.count >= 2 else { return nil }
            var index = 0
            while index + 1 < min(chunk.count, chunkSize) {
                if chunk[index] == 0xFF, chunk[index + 1] & 0xFE == 0xF8, FLACFrame(chunk[index...]) != nil {
                    return chunkStart + index
                }
                index += 1
            }
            chunkStart += chunkSize
        }
        return nil
    }

    /// The number of samples in the stream, from the last frame header in the file's last
    /// 64 KiB (frame number × block size, or the sample number of a variable-block-size stream).
    static func streamSamples(_ file: FileReader, fixedBlockSize: Int?) -> Int64? {
        let tailStart = max(0, file.size - (1 << 16))
        let tail = file.read(at: tailStart, count: 1 << 16)
        var index = tail.count - 2
        while index >= 0 {
            if tail[index] == 0xFF, tail[index + 1] & 0xFE == 0xF8, let frame = FLACFrame(tail[index...]) {
                if frame.variableBlockSize { return frame.number + Int64(frame.blockSize) }
                let size = Int64(fixedBlockSize ?? frame.blockSize)
                return frame.number * size + Int64(frame.blockSize)
            }
            index -= 1
        }
        return nil
    }

    /// The file as libavformat should read it: "fLaC", one STREAMINFO block (the file's own when
    /// valid, else one made from the first frame's header), then the audio frames.
    func repairedInput(_ file: FileReader) -> PatchedInput? {
        guard let audioStart else { return nil }
        var body: [UInt8]
        if let info = streamInfo(file), info.sampleRate > 0 {
            body = info.body
        } else {
            guard let frame = FLACFrame(file.read(at: audioStart, count: 16)[...]), frame.sampleRate > 0, frame.bits > 0 else { return nil }
            body = [UInt8](repeating: 0, count: 34)
            let blockSize = frame.variableBlockSize ? 4096 : frame.blockSize
            body[0] = UInt8(blockSize >> 8); body[1] = UInt8(blockSize & 0xFF)
            body[2] = UInt8(blockSize >> 8); body[3] = UInt8(blockSize & 0xFF)
            body[10] = UInt8((frame.sampleRate >> 12) & 0xFF)
            body[11] = UInt8((frame.sampleRate >> 4) & 0xFF)
            body[12] = UInt8((frame.sampleRate & 0xF) << 4) | UInt8((frame.channels - 1) << 1) | UInt8(((frame.bits - 1) >> 4) & 1)
            body[13] = UInt8(((frame.bits - 1) & 0xF) << 4)
            // Total samples: counted from the last frame, so the duration comes from the stream.
            let samples = FLACLayout.streamSamples(file, fixedBlockSize: frame.variableBlockSize ? nil : frame.blockSize) ?? 0
            let clamped = min(samples, (1 << 36) - 1)
            body[13] |= UInt8((clamped >> 32) & 0xF)
            body[14] = UInt8((clamped >> 24) & 0xFF); body[15] = UInt8((clamped >> 16) & 0xFF)
            body[16] = UInt8((clamped >> 8) & 0xFF); body[17] = UInt8(clamped & 0xFF)
        }
        let head = Array("fLaC".utf8) + [0x80, 0, 0, 34] + body
        return PatchedInput(file: file, pieces: [.bytes(head), .file(offset: audioStart, count: file.size - audioStart)])
    }

    /// Reads the Vorbis comment blocks (each bounded by the next block or the audio, since a
    /// damaged length cannot be trusted) and the PICTURE blocks, within `TagLimits`.
    func tags(_ file: FileReader, includePictures: Bool) -> (collector: TagCollector, pictures: [EmbeddedPicture], droppedPictures: Int) {
        var collector = TagCollector()
        var pictures: [EmbeddedPicture] = []
        var dropped = 0
        let end = audioStart ?? file.size
        for block in blocks where block.offset < end {
            let length = min(block.length, end - block.offset)
            if block.type == FLACLayout.vorbisComment {
                VorbisComment.parse(file.read(at: block.offset, count: min(length, 16 << 20))[...], into: &collector)
            } else if block.type == FLACLayout.picture, includePictures {
                guard pictures.count < TagLimits.pictures else {
                    dropped += 1
                    continue
                }
                // A malformed one is already in `damage`.
                if let picture = FLACLayout.parsePicture(file.read(at: block.offset, count: min(length, 16 << 20))) {
                    pictures.append(picture)
                }
            }
        }
        return (collector, pictures, dropped)
    }

    /// True when a PICTURE block's mime, description and data lengths fit in the block
    /// (three small reads; the picture itself is not read).
    static func pictureFits(_ file: FileReader, offset: Int, length: Int) -> Bool {
        func u32(_ at: Int) -> Int? {
            let b = file.read(at: offset + at, count: 4)
            guard b.count == 4, at + 4 <= length else { return nil }
            return Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
        }
        guard let mime = u32(4), mime <= length, let description = u32(8 + mime), description <= length,
              let data = u32(12 + mime + description + 16) else { return false }
        return 16 + mime + description + 16 + data <= length
    }

    /// A PICTURE block: type, mime, description, dimensions, then the data, all lengths checked.
    static func parsePicture(_ bytes: [UInt8]) -> EmbeddedPicture? {
        var position = 0
        func u32() -> Int? {
            guard position + 4 <= bytes.count else { return nil }
            defer { position += 4 }
            return Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16 | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
        }
        guard let type = u32(), let mimeLength = u32(), mimeLength <= bytes.count - position else { return nil }
        let mime = String(decoding: bytes[position..<(position + mimeLength)], as: UTF8.self)
        position += mimeLength
        guard let descriptionLength = u32(), descriptionLength <= bytes.count - position else { return nil }
        position += descriptionLength + 16
        guard let dataLength = u32(), dataLength > 0, dataLength <= bytes.count - position else { return nil }
        return EmbeddedPicture(statedMime: mime, pictureType: UInt8(truncatingIfNeeded: type),
                               data: Array(bytes[position..<(position + dataLength)]))
    }
}

/// A FLAC frame header (sync, block size, sample rate, channels, bits, frame or sample number),
/// accepted only with a valid CRC-8, so a sync pattern inside other data is not taken for one.
struct FLACFrame {
    var variableBlockSize: Bool
    var blockSize: Int
    /// 0 when the header defers to STREAMINFO.
    var sampleRate: Int
    var channels: Int
    /// 0 when the header defers to STREAMINFO.
    var bits: Int
    /// The frame number (fixed block size) or the first sample's number (variable).
    var number: Int64

    init?(_ bytes: ArraySlice<UInt8>) {
        let b = Array(bytes.prefix(16))
        guard b.count >= 6, b[0] == 0xFF, b[1] & 0xFE == 0xF8 else { return nil }
        variableBlockSize = b[1] & 1 != 0
        let blockCode = Int(b[2] >> 4), rateCode = Int(b[2] & 0xF)
        let channelCode = Int(b[3] >> 4), bitsCode = Int((b[3] >> 1) & 0x7)
        guard blockCode != 0, rateCode != 15, channelCode < 11, bitsCode != 3, b[3] & 1 == 0 else { return nil }
        // The UTF-8-like coded number.
        var index = 4
        let lead = b[index]
        var extra = 0
        var value: Int64
        switch lead {
        case 0x00...0x7F: value = Int64(lead)
        case 0xC0...0xDF: extra = 1; value = Int64(lead & 0x1F)
        case 0xE0...0xEF: extra = 2; value = Int64(lead & 0x0F)
        case 0xF0...0xF7: extra = 3; value = Int64(lead & 0x07)
        case 0xF8...0xFB: extra = 4; value = Int64(lead & 0x03)
        case 0xFC...0xFD: extra = 5; value = Int64(lead & 0x01)
        case 0xFE: extra = 6; value = 0
        default: return nil
        }
        index += 1
        guard index + extra <= b.count else { return nil }
        for _ in 0..<extra {
            guard b[index] & 0xC0 == 0x80 else { return nil }
            value = value << 6 | Int64(b[index] & 0x3F)
            index += 1
        }
        number = value
        func take(_ count: Int) -> Int? {
            guard index + count <= b.count else { return nil }
            defer { index += count }
            return b[index..<(index + count)].reduce(0) { $0 << 8 | Int($1) }
        }
        switch blockCode {
        case 1: blockSize = 192
        case 2...5: blockSize = 576 << (blockCode - 2)
        case 6: guard let v = take(1) else { return nil }; blockSize = v + 1
        case 7: guard let v = take(2) else { return nil }; blockSize = v + 1
        default: blockSize = 256 << (blockCode - 8)
        }
        let rates = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000]
        switch rateCode {
        case 0...11: sampleRate = rates[rateCode]
        case 12: guard let v = take(1) else { return nil }; sampleRate = v * 1000
        case 13: guard let v = take(2) else { return nil }; sampleRate = v
        default: guard let v = take(2) else { return nil }; sampleRate = v * 10
        }
        channels = channelCode < 8 ? channelCode + 1 : 2
        bits = [0, 8, 12, 0, 16, 20, 24, 32][bitsCode]
        guard index < b.count else { return nil }
        var crc: UInt8 = 0
        for byte in b[0..<index] {
            crc ^= byte
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        guard crc == b[index] else { return nil }
    }
}
