import CFFmpeg

/// The interleaved sample formats the pipeline moves around. Decoders produce one of these
/// (planar FFmpeg output is interleaved without touching a sample's value); devices take one.
public enum SampleFormat: String, Sendable, CaseIterable {
    /// Signed 16-bit little-endian (CD audio, most MP3 decoders' integer output).
    case s16 = "S16_LE"
    /// Signed 32-bit little-endian (24-bit FLAC decodes to this, left-aligned).
    case s32 = "S32_LE"
    /// 32-bit float little-endian (MP3, AAC, Opus, Vorbis decoders).
    case float32 = "FLOAT_LE"

    /// Bytes per sample of one channel.
    public var bytes: Int {
        switch self {
        case .s16: 2
        case .s32, .float32: 4
        }
    }

    /// The interleaved FFmpeg format with the same sample layout.
    var ffmpeg: AVSampleFormat {
        switch self {
        case .s16: AV_SAMPLE_FMT_S16
        case .s32: AV_SAMPLE_FMT_S32
        case .float32: AV_SAMPLE_FMT_FLT
        }
    }

    /// The format a decoder's output maps to without changing any value, or nil (double, u8:
    /// those are converted to float).
    init?(ffmpeg format: AVSampleFormat) {
        switch format {
        case AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_S16P: self = .s16
        case AV_SAMPLE_FMT_S32, AV_SAMPLE_FMT_S32P: self = .s32
        case AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_FLTP: self = .float32
        default: return nil
        }
    }
}

/// Rate, channels and sample format of interleaved PCM.
public struct PCMFormat: Sendable, Equatable, CustomStringConvertible {
    /// Frames per second.
    public var sampleRate: Int
    /// Samples per frame.
    public var channels: Int
    /// The layout of one sample.
    public var sample: SampleFormat

    /// Creates a format from its parts.
    public init(sampleRate: Int, channels: Int, sample: SampleFormat) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.sample = sample
    }

    /// Bytes of one frame (one sample of every channel).
    public var frameBytes: Int { channels * sample.bytes }

    /// "44100 Hz, 2 ch, S16_LE".
    public var description: String { "\(sampleRate) Hz, \(channels) ch, \(sample.rawValue)" }
}
