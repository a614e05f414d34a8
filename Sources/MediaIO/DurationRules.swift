import CFFmpeg
import OmniModel

/// How long a track plays, per format, without decoding it.
///
/// - MP3 with a Xing/Info or VBRI header: `frames × samples-per-frame − encoder delay − padding`
///   (delay/padding from the LAME extension when present): exact.
/// - MP3 without one (plain CBR): audio bytes (file minus ID3v2, APEv2, ID3v1) × 8 / bitrate of the
///   first frame: exact for CBR. VBR without a Xing header is estimated the same way from the first
///   frame's bitrate; scanning every frame header would read the whole file, which an indexer
///   cannot afford, and such files are rare (every mainstream encoder writes a Xing header).
/// - Everything else: the demuxer's stream duration (FLAC STREAMINFO, Ogg last granule position,
///   MP4 `mdhd`, WAV data size), minus Opus pre-skip when libavformat left it in.
enum DurationRules {
    /// The longest duration believed, in milliseconds: 366 days. Longer is a header that lies
    /// (a 64-bit sample count of 2^62, an MP4 `mdhd` of centuries); `TagReader` refuses the file
    /// (`media.out_of_range`) rather than store a length that overflows every sum over tracks.
    static let maximumMs = 366 * 24 * 3600 * 1000

    /// The MP3 duration in milliseconds from the bytes between `audioStart` and `audioEnd`, and
    /// a warning when the Xing/VBRI header lied (a truncated file still says how long the whole
    /// was; a crafted one says anything) and the duration was computed from the bytes instead.
    static func mp3DurationMs(_ file: FileReader, audioStart: Int, audioEnd: Int) -> (ms: Int?, warning: ProbeWarning?) {
        let head = file.read(at: audioStart, count: 16 * 1024)
        guard let (offset, frame) = MPEGAudioFrame.firstFrame(in: head) else { return (nil, nil) }
        let audioBytes = audioEnd - (audioStart + offset)
        if let info = frame.vbrInfo(head, frameAt: offset),
           let samples = info.musicSamples(samplesPerFrame: frame.samplesPerFrame) {
            let headerMs = Int(CheckedArithmetic.clampedProduct(samples, 1000) / Int64(frame.sampleRate))
            // Truncated: fewer bytes than the header counted (5% slack for tags the header
            // counted and trailing junk it did not). The music that is there plays at the
            // header's average rate.
            if let declared = info.bytes, declared > 0, audioBytes > 0, audioBytes < declared - declared / 20 {
                let ms = Int(Double(headerMs) * Double(audioBytes) / Double(declared))
                return (ms, ProbeWarning(.durationFromStream, "the MP3 header counts \(declared) bytes of audio but the file holds \(audioBytes): truncated; duration \(ms) ms instead of \(headerMs) ms"))
            }
            // A frame count no stream of these bytes can have (under MPEG's lowest rate, 8 kbit/s).
            if audioBytes > 0, frame.bitrate > 0, headerMs > 0, CheckedArithmetic.clampedProduct(audioBytes, 8000) / headerMs < 8000 {
                let ms = CheckedArithmetic.clampedProduct(audioBytes, 8000) / frame.bitrate
                return (ms, ProbeWarning(.durationFromStream, "the MP3 header's frame count gives \(headerMs) ms, impossible for \(audioBytes) bytes; duration \(ms) ms from the bytes"))
            }
            return (headerMs, nil)
        }
        guard audioBytes > 0, frame.bitrate > 0 else { return (nil, nil) }
        return (CheckedArithmetic.clampedProduct(audioBytes, 8000) / frame.bitrate, nil)
    }

    /// The length in samples of a WavPack stream that does not store it (written from a pipe:
    /// `total_samples` is 0xFFFFFFFF), from its last block's header: its first sample's index
    /// plus its sample count. The last 1 MiB is searched backwards for a "wvpk" header.
    static func wavPackSamples(_ file: FileReader) -> Int64? {
        let tailStart = max(0, file.size - (1 << 20))
        let tail = file.read(at: tailStart, count: 1 << 20)
        var index = tail.count - 32
        while index >= 0 {
            if tail[index] == 0x77, let block = WavPackBlock(tail[index...]), block.blockSamples > 0, block.blockSamples < 1 << 24 {
                return block.blockIndex + block.blockSamples
            }
            index -= 1
        }
        return nil
    }

    /// The stream's duration in milliseconds as the demuxer knows it, or nil.
    static func streamDurationMs(_ stream: UnsafeMutablePointer<AVStream>, context: UnsafeMutablePointer<AVFormatContext>) -> Int? {
        let nopts = omni_av_nopts_value()
        let timeBase = stream.pointee.time_base
        if let ticks = musicTicks(stream) {
            // av_rescale_q answers INT64_MIN when the result does not fit: too long, not negative.
            let ms = av_rescale_q(ticks, timeBase, AVRational(num: 1, den: 1000))
            return ms < 0 ? Int.max : Int(ms)
        }
        if context.pointee.duration != nopts, context.pointee.duration > 0 {
            return Int(context.pointee.duration / 1000)
        }
        return nil
    }

    /// The stream's length in its own time base as the demuxer knows it, minus Opus pre-skip
    /// when libavformat left it in, never negative; nil when the demuxer does not know it.
    /// The one pre-skip rule: the tag reader's durations and `AudioDecoder`'s length use it.
    static func musicTicks(_ stream: UnsafeMutablePointer<AVStream>) -> Int64? {
        let nopts = omni_av_nopts_value()
        let timeBase = stream.pointee.time_base
        guard stream.pointee.duration != nopts, stream.pointee.duration > 0, timeBase.den > 0 else { return nil }
        var ticks = stream.pointee.duration
        // Opus: the last granule position counts the pre-skip samples the decoder drops. When
        // the demuxer reports a start time of zero it has not taken them off. A pre-skip longer
        // than the stream (a crafted or truncated file) leaves nothing, not a negative length.
        if stream.pointee.codecpar!.pointee.codec_id == AV_CODEC_ID_OPUS,
           stream.pointee.start_time == 0 || stream.pointee.start_time == nopts {
            let preSkip = Int64(stream.pointee.codecpar!.pointee.initial_padding)
            ticks = max(0, ticks - av_rescale_q(preSkip, AVRational(num: 1, den: 48000), timeBase))
        }
        return ticks
    }
}
