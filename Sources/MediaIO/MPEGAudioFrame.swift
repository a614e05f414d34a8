/// One MPEG audio frame header, and the Xing/Info/VBRI and LAME headers that may ride in the first
/// frame. Enough to compute an MP3's exact duration without reading the file.
struct MPEGAudioFrame: Equatable {
    /// 1 (MPEG-1), 2 (MPEG-2) or 25 (MPEG-2.5).
    var version: Int
    var layer: Int
    var bitrate: Int
    var sampleRate: Int
    var channels: Int
    var frameLength: Int
    var samplesPerFrame: Int

    /// Decodes the 4 header bytes at `bytes[index]`, or nil when they are not a valid header.
    init?(_ bytes: [UInt8], at index: Int) {
        guard index + 4 <= bytes.count, bytes[index] == 0xFF, bytes[index + 1] & 0xE0 == 0xE0 else { return nil }
        let versionBits = (bytes[index + 1] >> 3) & 0x3
        let layerBits = (bytes[index + 1] >> 1) & 0x3
        let bitrateIndex = Int(bytes[index + 2] >> 4)
        let rateIndex = Int((bytes[index + 2] >> 2) & 0x3)
        let padding = Int((bytes[index + 2] >> 1) & 0x1)
        let mode = bytes[index + 3] >> 6
        guard versionBits != 1, layerBits != 0, bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3 else { return nil }
        version = versionBits == 3 ? 1 : (versionBits == 2 ? 2 : 25)
        layer = 4 - Int(layerBits)
        let rates = [44100, 48000, 32000]
        sampleRate = rates[rateIndex] / (version == 1 ? 1 : (version == 2 ? 2 : 4))
        let table: [Int]
        switch (version, layer) {
        case (1, 1): table = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
        case (1, 2): table = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
        case (1, _): table = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        case (_, 1): table = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
        default: table = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        }
        bitrate = table[bitrateIndex] * 1000
        channels = mode == 3 ? 1 : 2
        switch layer {
        case 1:
            samplesPerFrame = 384
            frameLength = (12 * bitrate / sampleRate + padding) * 4
        case 2:
            samplesPerFrame = 1152
            frameLength = 144 * bitrate / sampleRate + padding
        default:
            samplesPerFrame = version == 1 ? 1152 : 576
            frameLength = (version == 1 ? 144 : 72) * bitrate / sampleRate + padding
        }
        guard frameLength >= 4 else { return nil }
    }

    /// The first frame in `bytes` whose successor (when it fits in `bytes`) is also a frame header
    /// with the same version, layer and rate: a lone 0xFFE sync in junk is not enough.
    static func firstFrame(in bytes: [UInt8]) -> (offset: Int, frame: MPEGAudioFrame)? {
        var index = 0
        while index + 4 <= bytes.count {
            if bytes[index] == 0xFF, let frame = MPEGAudioFrame(bytes, at: index) {
                let next = index + frame.frameLength
                if next + 4 > bytes.count { return (index, frame) }
                if let following = MPEGAudioFrame(bytes, at: next), following.version == frame.version,
                   following.layer == frame.layer, following.sampleRate == frame.sampleRate {
                    return (index, frame)
                }
            }
            index += 1
        }
        return nil
    }

    /// The first frame of an MP3 file, after its leading ID3v2 tag if any: the first 16 KiB of
    /// audio read from there, and the frame's offset in them. Blocking (two small reads).
    static func firstFrame(in file: FileReader) -> (head: [UInt8], offset: Int, frame: MPEGAudioFrame)? {
        let header = file.read(at: 0, count: 10)
        var audioStart = 0
        if header.count == 10, header.starts(with: Array("ID3".utf8)) {
            // Syncsafe size, plus the 10-byte header and the footer when flagged.
            let size = Int(header[6] & 0x7F) << 21 | Int(header[7] & 0x7F) << 14 | Int(header[8] & 0x7F) << 7 | Int(header[9] & 0x7F)
            audioStart = 10 + size + (header[5] & 0x10 != 0 ? 10 : 0)
        }
        let head = file.read(at: audioStart, count: 16 * 1024)
        guard let (offset, frame) = firstFrame(in: head) else { return nil }
        return (head, offset, frame)
    }

    /// What a Xing/Info or VBRI header in this frame says.
    struct VBRInfo: Equatable {
        var frames: Int?
        var bytes: Int?
        /// Encoder delay and padding in samples, from a LAME (or Lavc) extension.
        var encoderDelay: Int?
        var encoderPadding: Int?

        /// Samples (per channel) of music in a stream of frames of `samplesPerFrame`: the frame
        /// count's samples minus the encoder delay and padding; nil without a frame count.
        func musicSamples(samplesPerFrame: Int) -> Int64? {
            guard let frames, frames > 0 else { return nil }
            return max(0, Int64(frames) * Int64(samplesPerFrame) - Int64(encoderDelay ?? 0) - Int64(encoderPadding ?? 0))
        }
    }

    /// Parses a Xing/Info (LAME) or VBRI header from the frame at `bytes[offset]`.
    func vbrInfo(_ bytes: [UInt8], frameAt offset: Int) -> VBRInfo? {
        let sideInfo = version == 1 ? (channels == 1 ? 17 : 32) : (channels == 1 ? 9 : 17)
        let xing = offset + 4 + sideInfo
        func u32(_ i: Int) -> Int? {
            guard i + 4 <= bytes.count else { return nil }
            return Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
        }
        if xing + 8 <= bytes.count, bytes[xing..<(xing + 4)].elementsEqual("Xing".utf8) || bytes[xing..<(xing + 4)].elementsEqual("Info".utf8),
           let flags = u32(xing + 4) {
            var info = VBRInfo()
            var cursor = xing + 8
            if flags & 1 != 0 { info.frames = u32(cursor); cursor += 4 }
            if flags & 2 != 0 { info.bytes = u32(cursor); cursor += 4 }
            if flags & 4 != 0 { cursor += 100 }
            if flags & 8 != 0 { cursor += 4 }
            // LAME extension: 9-byte encoder string ... delay/padding 12+12 bits at +21.
            if cursor + 24 <= bytes.count {
                let vendor = bytes[cursor..<(cursor + 4)]
                if vendor.elementsEqual("LAME".utf8) || vendor.elementsEqual("Lavc".utf8) || vendor.elementsEqual("Lavf".utf8) || vendor.elementsEqual("L3.9".utf8) {
                    let d = cursor + 21
                    info.encoderDelay = Int(bytes[d]) << 4 | Int(bytes[d + 1]) >> 4
                    info.encoderPadding = Int(bytes[d + 1] & 0x0F) << 8 | Int(bytes[d + 2])
                }
            }
            return info
        }
        let vbri = offset + 4 + 32
        if vbri + 18 <= bytes.count, bytes[vbri..<(vbri + 4)].elementsEqual("VBRI".utf8) {
            return VBRInfo(frames: u32(vbri + 14), bytes: u32(vbri + 10))
        }
        return nil
    }
}
