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

    /// The MP3 duration in milliseconds from the bytes between `audioStart` and `audioEnd`.
    static func mp3DurationMs(_ file: FileReader, audioStart: Int, audioEnd: Int) -> Int? {
        let head = file.read(at: audioStart, count: 16 * 1024)
        guard let (offset, frame) = MPEGAudioFrame.firstFrame(in: head) else { return nil }
        if let samples = frame.vbrInfo(head, frameAt: offset)?.musicSamples(samplesPerFrame: frame.samplesPerFrame) {
            return CheckedArithmetic.clampedProduct(Int(samples), 1000) / frame.sampleRate
        }
        let audioBytes = audioEnd - (audioStart + offset)
        guard audioBytes > 0, frame.bitrate > 0 else { return nil }
        return CheckedArithmetic.clampedProduct(audioBytes, 8000) / frame.bitrate
    }

    /// The stream's duration in milliseconds as the demuxer knows it, or nil.
    static func streamDurationMs(_ stream: UnsafeMutablePointer<AVStream>, context: UnsafeMutablePointer<AVFormatContext>) -> Int? {
        let nopts = omni_av_nopts_value()
        let timeBase = stream.pointee.time_base
        if stream.pointee.duration != nopts, stream.pointee.duration > 0, timeBase.den > 0 {
            var ticks = stream.pointee.duration
            // Opus: the last granule position counts the pre-skip samples the decoder drops. When
            // the demuxer reports a start time of zero it has not taken them off.
            if stream.pointee.codecpar!.pointee.codec_id == AV_CODEC_ID_OPUS,
               stream.pointee.start_time == 0 || stream.pointee.start_time == nopts {
                let preSkip = Int64(stream.pointee.codecpar!.pointee.initial_padding)
                ticks = max(0, ticks - av_rescale_q(preSkip, AVRational(num: 1, den: 48000), timeBase))
            }
            // av_rescale_q answers INT64_MIN when the result does not fit: too long, not negative.
            let ms = av_rescale_q(ticks, timeBase, AVRational(num: 1, den: 1000))
            return ms < 0 ? Int.max : Int(ms)
        }
        if context.pointee.duration != nopts, context.pointee.duration > 0 {
            return Int(context.pointee.duration / 1000)
        }
        return nil
    }
}
