/// A WavPack block header ("wvpk", 32 bytes, WavPack 4 and 5) and the channel count a file's
/// first block declares.
///
/// FFmpeg 5.1's WavPack demuxer takes the channels from the first block alone, and gives up on a
/// channel count whose mask names fewer speakers ("Channel mask does not match the channel
/// count"): TagLib's `four_channels.wv` (4 channels, mask 0x4) is reported mono. A file of more
/// than two channels stores them as several mono or stereo blocks per frame, and its first block
/// carries the count in an `ID_CHANNEL_INFO` sub-block; that count is the file's (decision 0034).
///
/// Every size read from the file is checked against the bytes there: a damaged block answers
/// nil, never a read past the buffer.
struct WavPackBlock: Equatable {
    /// The header's size in bytes.
    static let headerSize = 32
    /// Bytes of the first block read for its sub-blocks: the channel information follows the
    /// stored RIFF header, which is small unless the WAV carried large chunks.
    static let maxFirstBlockBytes = 64 << 10

    /// The whole block's size in bytes, header included (`ckSize` + 8).
    var size: Int
    /// The index of the block's first sample in the stream (40 bits).
    var blockIndex: Int64
    /// The samples (per channel) in this block.
    var blockSamples: Int64
    /// The header's flags: bit 2 mono, bit 11 the frame's first block, bit 12 its last, bit 30
    /// "false stereo" (mono data played as stereo).
    var flags: UInt32

    /// Parses the 32 bytes at the start of `bytes`, or nil when they are not a WavPack 4/5 block
    /// header (version 0x402–0x410).
    init?(_ bytes: ArraySlice<UInt8>) {
        // The magic before any copy: `DurationRules` tries this at every 0x77 byte of a tail.
        let s = bytes.startIndex
        guard bytes.count >= Self.headerSize, bytes[s] == 0x77, bytes[s + 1] == 0x76, bytes[s + 2] == 0x70,
              bytes[s + 3] == 0x6B else { return nil } // "wvpk"
        let b = Array(bytes.prefix(Self.headerSize))
        func u32(_ at: Int) -> Int64 { Int64(b[at]) | Int64(b[at + 1]) << 8 | Int64(b[at + 2]) << 16 | Int64(b[at + 3]) << 24 }
        let version = Int(b[8]) | Int(b[9]) << 8
        guard (0x402...0x410).contains(version) else { return nil }
        size = Int(u32(4)) + 8
        blockIndex = Int64(b[10]) << 32 | u32(16)
        blockSamples = u32(20)
        flags = UInt32(u32(24))
    }

    /// The channel count the first block at `start` declares: its `ID_CHANNEL_INFO` sub-block, or
    /// for a frame of one block its mono flag; nil when there is no valid block at `start` or a
    /// multi-block frame carries no channel information.
    static func channels(_ file: FileReader, start: Int) -> Int? {
        guard let block = WavPackBlock(file.read(at: start, count: headerSize)[...]), block.size > headerSize else { return nil }
        let body = file.read(at: start + headerSize, count: min(block.size - headerSize, maxFirstBlockBytes))
        if let declared = channelInfo(body) { return declared }
        let oneBlock: UInt32 = 0x1800 // initial and final block
        guard block.flags & oneBlock == oneBlock else { return nil }
        return block.flags & 0x4 != 0 && block.flags & 0x4000_0000 == 0 ? 1 : 2
    }

    /// The channel count of the first `ID_CHANNEL_INFO` (0x0D) sub-block in a block's `body`, as
    /// libwavpack reads it: 1–5 bytes are the count then the mask; 6–7 bytes (WavPack 5, more
    /// than 255 channels) a 12-bit count less one. Nil when there is none or it is invalid.
    static func channelInfo(_ body: [UInt8]) -> Int? {
        var position = 0
        while position + 2 <= body.count {
            let id = body[position]
            let large = id & 0x80 != 0
            let headerBytes = large ? 4 : 2
            guard position + headerBytes <= body.count else { return nil }
            var words = Int(body[position + 1])
            if large { words |= Int(body[position + 2]) << 8 | Int(body[position + 3]) << 16 }
            let size = words * 2
            let dataStart = position + headerBytes
            if id & 0x3F == 0x0D {
                let count = size - (id & 0x40 != 0 ? 1 : 0) // "odd size": the last byte is padding
                guard count >= 1, count <= 7, dataStart + count <= body.count else { return nil }
                let data = body[dataStart..<(dataStart + count)]
                let channels = count >= 6 ? (Int(data[dataStart]) | Int(data[dataStart + 2] & 0x0F) << 8) + 1 : Int(data[dataStart])
                return channels > 0 ? channels : nil
            }
            position = dataStart + size
        }
        return nil
    }
}
