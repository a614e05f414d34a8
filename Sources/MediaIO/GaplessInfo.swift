import OmniModel

/// What an encoder added around the music, so a player can cut it off and join tracks without a
/// gap: the encoder delay (silence or priming at the start) and the padding at the end.
///
/// Sources: the LAME/Xing header of an MP3's first frame (the same parser the durations use),
/// and the iTunes `iTunSMPB` tag of AAC files. Opus pre-skip is in the stream header, which
/// libavformat exposes as `initial_padding` and the decoder applies itself.
public struct GaplessInfo: Sendable, Equatable {
    /// Samples (per channel) to drop at the start, as the encoder declared them.
    public var encoderDelay: Int
    /// Samples (per channel) to drop at the end.
    public var padding: Int
    /// The number of samples (per channel) of music: what remains after trimming both ends,
    /// when the header says it (an MP3's frame count, iTunSMPB's original length).
    public var validSamples: Int64?

    public init(encoderDelay: Int, padding: Int, validSamples: Int64?) {
        self.encoderDelay = encoderDelay
        self.padding = padding
        self.validSamples = validSamples
    }

    /// Reads an MP3's LAME/Xing header (after a leading ID3v2 tag). Nil when the file has no
    /// Xing/Info header with a frame count. Blocking (two small reads); any thread.
    public static func mp3(path: RawPath) -> GaplessInfo? {
        guard let file = FileReader(path: path), let (head, offset, frame) = MPEGAudioFrame.firstFrame(in: file),
              let info = frame.vbrInfo(head, frameAt: offset),
              let samples = info.musicSamples(samplesPerFrame: frame.samplesPerFrame) else { return nil }
        return GaplessInfo(encoderDelay: info.encoderDelay ?? 0, padding: info.encoderPadding ?? 0, validSamples: samples)
    }

    /// Parses an `iTunSMPB` value: ` 00000000 00000840 000001CA 00000000003F31F6 ...` (hex
    /// fields: reserved, delay, padding, original sample count). Nil when it is not of that shape.
    public static func iTunSMPB(_ text: String) -> GaplessInfo? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 4, let delay = Int(fields[1], radix: 16), let padding = Int(fields[2], radix: 16),
              let length = Int64(fields[3], radix: 16) else { return nil }
        return GaplessInfo(encoderDelay: delay, padding: padding, validSamples: length > 0 ? length : nil)
    }
}
