import CFFmpeg
import OmniModel

/// Codec parameters read from bytes we already hold, so that no stream analysis is needed.
///
/// FFmpeg 5.1's `mp3` and `flac` demuxers leave the sample rate and channel count at 0 after
/// `avformat_open_input`; only `avformat_find_stream_info` fills them, by parsing and partly
/// decoding packets. That call, plus the content re-probe the missing values used to trigger,
/// was three quarters of an MP3 or FLAC probe. The values are in plain sight:
/// - FLAC: the 34-byte STREAMINFO block the demuxer puts in `extradata`;
/// - MP3: the first MPEG audio frame header after the ID3v2 tag.
/// When the bytes do not parse, nothing is filled and the caller falls back to the slow path.
enum HeaderParameters {
    /// Fills `stream`'s sample rate, channel layout (and bits per sample for FLAC) when they are
    /// missing and the codec's own header gives them. Returns true when the stream now has them.
    /// `file` is the probe's own open file (MP3: the first frame header is read from it).
    static func fill(_ stream: UnsafeMutablePointer<AVStream>, file: FileReader) -> Bool {
        guard let parameters = stream.pointee.codecpar else { return false }
        switch parameters.pointee.codec_id {
        case AV_CODEC_ID_FLAC:
            guard let extradata = parameters.pointee.extradata, parameters.pointee.extradata_size >= 34 else { return false }
            let b = UnsafeBufferPointer(start: extradata, count: 34)
            let sampleRate = Int32(b[10]) << 12 | Int32(b[11]) << 4 | Int32(b[12] >> 4)
            let channels = Int32((b[12] >> 1) & 0x7) + 1
            let bits = Int32((b[12] & 0x1) << 4 | b[13] >> 4) + 1
            guard sampleRate > 0 else { return false }
            set(parameters, sampleRate: sampleRate, channels: channels)
            parameters.pointee.bits_per_raw_sample = bits
            return true
        case AV_CODEC_ID_MP3, AV_CODEC_ID_MP2, AV_CODEC_ID_MP1:
            guard let (_, _, frame) = MPEGAudioFrame.firstFrame(in: file),
                  frame.sampleRate > 0, frame.channels > 0 else { return false }
            set(parameters, sampleRate: Int32(frame.sampleRate), channels: Int32(frame.channels))
            if parameters.pointee.bit_rate == 0 { parameters.pointee.bit_rate = Int64(frame.bitrate) }
            return true
        default:
            return false
        }
    }

    private static func set(_ parameters: UnsafeMutablePointer<AVCodecParameters>, sampleRate: Int32, channels: Int32) {
        if parameters.pointee.sample_rate <= 0 { parameters.pointee.sample_rate = sampleRate }
        if omni_codecpar_channels(parameters) <= 0 {
            av_channel_layout_uninit(&parameters.pointee.ch_layout)
            av_channel_layout_default(&parameters.pointee.ch_layout, channels)
        }
    }
}
