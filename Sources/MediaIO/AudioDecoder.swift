import CFFmpeg
import OmniModel

/// One track's decoder: libavformat demuxes, libavcodec decodes, and the result comes out as
/// interleaved PCM in the codec's own sample format (planar output is interleaved; no value
/// changes), trimmed of encoder delay and padding so consecutive tracks join without a gap.
/// The player, the analysis and the transcoder all decode through it (issue 16: one opener,
/// one error text, one Opus pre-skip rule).
///
/// Opening goes through `FormatContext` (regular files only, an interrupt deadline renewed
/// before every blocking read or seek, freed by its owner whatever the exit path); the codec
/// context, packet and frame have their own owner (`CodecState`) for the same reason.
///
/// Trimming: libavformat/libavcodec already drop the LAME/Xing delay and padding of MP3s, the
/// Opus pre-skip and MP4 edit lists (skip-samples side data). On top of that the music's length
/// from the header (`GaplessInfo`: the LAME parser, or `iTunSMPB` for AAC; else, for AAC
/// in MP4, the container's duration) caps the output, and an `iTunSMPB` delay is dropped here
/// when the demuxer signalled no skip itself.
///
/// Not `Sendable`: owned by one thread (the player's output thread, an analysis worker);
/// FFmpeg contexts are used from one thread at a time.
public final class AudioDecoder {
    /// The file decoded.
    public let path: RawPath
    /// What `read` produces.
    public let format: PCMFormat
    /// The codec's name ("mp3", "flac", "opus").
    public let codecName: String
    /// The music's length in frames, when known.
    public let lengthFrames: Int64?

    private let container: FormatContext
    private let codec: CodecState
    private let streamIndex: Int32
    private let timeBase: AVRational
    /// For decoders whose sample format the pipeline does not carry (double, u8): to float.
    private var converter: PCMConverter?
    /// The first decoded frame's timestamp (stream time base): position 0.
    private var originPTS: Int64?
    /// Frames of music emitted so far (the position).
    public private(set) var position: Int64 = 0
    /// After a seek, where the output must start.
    private var seekTarget: Int64?
    /// Frames still to drop at the start (a delay the demuxer did not signal).
    private var manualSkip: Int64 = 0
    private var checkedFirstPacket = false
    private var itunesDelay: Int64 = 0
    private var validFrames: Int64?
    private var inputDone = false
    /// True once the decoder has emitted the last frame of the track.
    public private(set) var finished = false

    /// Owns the codec context, the packet and the frame, and frees them in `deinit`.
    private final class CodecState {
        var context: UnsafeMutablePointer<AVCodecContext>?
        var packet: UnsafeMutablePointer<AVPacket>?
        var frame: UnsafeMutablePointer<AVFrame>?

        init(codec: UnsafePointer<AVCodec>) {
            context = avcodec_alloc_context3(codec)
            packet = av_packet_alloc()
            frame = av_frame_alloc()
        }

        deinit {
            av_packet_free(&packet)
            av_frame_free(&frame)
            avcodec_free_context(&context)
        }
    }

    /// Opens `path` and its best audio stream.
    ///
    /// - Throws: `MediaError`: `.unreadable` (missing, not a regular file, no permission),
    ///   `.unsupportedFormat` (no demuxer or decoder for it), `.noAudioStream`, with the failing
    ///   call and FFmpeg's message in `detail`.
    public init(path: RawPath) throws(MediaError) {
        self.path = path
        let display = path.displayString
        // Content probing, not the extension: a player must play what the bytes are. Guarded
        // as the probe is: a file the library accepted must not stall the player either.
        container = try FormatContext.guarded(path: path, useExtensionHint: false)
        try container.findStreamInfo()
        let ctx = container.pointer
        var decoder: UnsafePointer<AVCodec>?
        let found = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, -1, &decoder, 0)
        guard found >= 0, let decoder else {
            let reason: MediaError.Reason = found == omni_averror_stream_not_found() ? .noAudioStream : .unsupportedFormat
            throw MediaError(reason, path: display, call: "av_find_best_stream", status: found)
        }
        streamIndex = found
        let stream = container.stream(Int(found))
        timeBase = stream.pointee.time_base
        codecName = String(cString: omni_codec_name(stream.pointee.codecpar))
        codec = CodecState(codec: decoder)
        guard let cc = codec.context, codec.packet != nil, codec.frame != nil else {
            throw MediaError(.unsupportedFormat, path: display, call: "avcodec_alloc_context3", status: omni_averror(ENOMEM))
        }
        var status = avcodec_parameters_to_context(cc, stream.pointee.codecpar)
        if status >= 0 { status = avcodec_open2(cc, decoder, nil) }
        guard status >= 0 else { throw MediaError(.unsupportedFormat, path: display, call: "avcodec_open2", status: status) }
        let rate = Int(cc.pointee.sample_rate), channels = Int(omni_codec_context_channels(cc))
        guard rate > 0, channels > 0 else {
            throw MediaError(.unsupportedFormat, path: display, detail: "no sample rate or channel count")
        }
        if let sample = SampleFormat(ffmpeg: cc.pointee.sample_fmt) {
            format = PCMFormat(sampleRate: rate, channels: channels, sample: sample)
        } else {
            format = PCMFormat(sampleRate: rate, channels: channels, sample: .float32)
            converter = try PCMConverter(from: cc.pointee.sample_fmt, channels: channels, sampleRate: rate, to: format, what: display)
        }

        // The music's length and a delay the demuxer may not know about.
        var gapless: GaplessInfo?
        if codecName == "mp3" {
            gapless = GaplessInfo.mp3(path: path)
        } else if codecName == "aac", let tag = Self.tag("iTunSMPB", in: ctx, stream: stream) {
            gapless = GaplessInfo.iTunSMPB(tag)
            itunesDelay = Int64(gapless?.encoderDelay ?? 0)
        }
        validFrames = gapless?.validSamples
        if let validFrames {
            lengthFrames = validFrames
        } else if let ticks = DurationRules.musicTicks(stream) {
            // av_rescale_q answers INT64_MIN when the result does not fit: unknown, not negative.
            let frames = av_rescale_q(ticks, timeBase, AVRational(num: 1, den: Int32(rate)))
            lengthFrames = frames >= 0 ? frames : nil
        } else if ctx.pointee.duration != omni_av_nopts_value(), ctx.pointee.duration > 0 {
            lengthFrames = CheckedArithmetic.clampedProduct(ctx.pointee.duration, Int64(rate)) / Int64(omni_av_time_base())
        } else {
            lengthFrames = nil
        }
        // AAC in MP4 without iTunSMPB: the container's duration (the edit list's, when there is
        // one) is the music's length; libavformat 5.1 trims the priming but not the padding.
        if validFrames == nil, codecName == "aac", container.containerName.contains("mp4") {
            validFrames = lengthFrames
        }
    }

    private static func tag(_ key: String, in ctx: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>) -> String? {
        for dict in [stream.pointee.metadata, ctx.pointee.metadata] {
            if let entry = av_dict_get(dict, key, nil, 0), let value = entry.pointee.value { return String(cString: value) }
        }
        return nil
    }

    /// Decodes until `out` holds at least `minimumFrames` more frames or the track ends,
    /// appending interleaved bytes in `format`. Returns the frames appended (0: the end).
    ///
    /// - Throws: `MediaError.undecodable` when the file cannot be read any further (a damaged
    ///   packet is skipped, not fatal).
    public func read(minimumFrames: Int, into out: inout [UInt8]) throws(MediaError) -> Int {
        var appended = 0
        while appended < minimumFrames && !finished {
            let status = avcodec_receive_frame(codec.context, codec.frame)
            if status == 0 {
                appended += emit(into: &out)
                av_frame_unref(codec.frame)
                continue
            }
            if status == omni_averror_eof() { finished = true; break }
            guard status == omni_averror_eagain() else {
                throw MediaError(.undecodable, path: path.displayString, call: "avcodec_receive_frame", status: status)
            }
            try feed()
        }
        return appended
    }

    /// Sends the next packet of our stream to the decoder (or the end of input).
    private func feed() throws(MediaError) {
        if inputDone { return }
        let packet = codec.packet
        while true {
            container.renewDeadline()
            let status = av_read_frame(container.pointer, packet)
            if status < 0 {
                inputDone = true
                avcodec_send_packet(codec.context, nil)
                return
            }
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == streamIndex else { continue }
            if !checkedFirstPacket {
                checkedFirstPacket = true
                // An iTunSMPB delay the demuxer did not turn into skip side data is ours to drop.
                if itunesDelay > 0 {
                    var size = 0
                    let side = av_packet_get_side_data(packet, AV_PKT_DATA_SKIP_SAMPLES, &size)
                    if side == nil && codec.context!.pointee.delay == 0 { manualSkip = itunesDelay }
                }
            }
            let sent = avcodec_send_packet(codec.context, packet)
            // A damaged packet is dropped; the decoder resynchronises on the next one.
            if sent < 0 && sent != omni_averror_eagain() && sent != omni_averror_invaliddata() {
                throw MediaError(.undecodable, path: path.displayString, call: "avcodec_send_packet", status: sent)
            }
            return
        }
    }

    /// Appends the current frame, minus what is trimmed, and returns the frames appended.
    private func emit(into out: inout [UInt8]) -> Int {
        guard let frame = codec.frame else { return 0 }
        var count = Int64(frame.pointee.nb_samples)
        var first: Int64 = 0
        let pts = frame.pointee.best_effort_timestamp != omni_av_nopts_value() ? frame.pointee.best_effort_timestamp : frame.pointee.pts
        if originPTS == nil { originPTS = pts == omni_av_nopts_value() ? 0 : pts }
        if let target = seekTarget {
            // Where this frame starts, from its timestamp: drop what lies before the target.
            if pts != omni_av_nopts_value(), let originPTS {
                // Timestamps are the file's word: wrapping, not trapping, on absurd ones.
                let at = av_rescale_q(pts &- originPTS, timeBase, AVRational(num: 1, den: Int32(format.sampleRate)))
                position = at
            }
            if CheckedArithmetic.clampedSum(position, count) <= target {
                position = CheckedArithmetic.clampedSum(position, count)
                return 0
            }
            first = max(0, CheckedArithmetic.clampedSum(target, position == Int64.min ? Int64.max : -position))
            position += first
            seekTarget = nil
        }
        if manualSkip > 0 {
            let drop = min(manualSkip, count - first)
            manualSkip -= drop
            first += drop
            if first >= count { return 0 }
        }
        count -= first
        if let validFrames {
            count = min(count, max(0, CheckedArithmetic.clampedSum(validFrames, position == Int64.min ? Int64.max : -position)))
            if count == 0 { finished = true; return 0 }
        }
        let channels = format.channels
        if let converter {
            let planar = av_sample_fmt_is_planar(AVSampleFormat(rawValue: frame.pointee.format)) != 0
            let bps = Int(av_get_bytes_per_sample(AVSampleFormat(rawValue: frame.pointee.format)))
            var planes = (0..<(planar ? channels : 1)).map { plane -> UnsafePointer<UInt8>? in
                UnsafePointer(frame.pointee.extended_data[plane]!.advanced(by: Int(first) * bps * (planar ? 1 : channels)))
            }
            let made = converter.convert(planes: &planes, frames: Int(count), appendingTo: &out)
            position = CheckedArithmetic.clampedSum(position, count)
            return made
        }
        let bytes = format.sample.bytes
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: Int(count) * format.frameBytes))
        let planar = av_sample_fmt_is_planar(AVSampleFormat(rawValue: frame.pointee.format)) != 0
        out.withUnsafeMutableBytes { buffer in
            let destination = buffer.baseAddress!.advanced(by: start)
            if !planar || channels == 1 {
                let source = UnsafeRawPointer(frame.pointee.extended_data[0]!).advanced(by: Int(first) * format.frameBytes)
                destination.copyMemory(from: source, byteCount: Int(count) * format.frameBytes)
            } else {
                for channel in 0..<channels {
                    let source = UnsafeRawPointer(frame.pointee.extended_data[channel]!).advanced(by: Int(first) * bytes)
                    Self.interleave(source, into: destination + channel * bytes, frames: Int(count), bytes: bytes, stride: format.frameBytes)
                }
            }
        }
        position = CheckedArithmetic.clampedSum(position, count)
        return Int(count)
    }

    private static func interleave(_ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer, frames: Int, bytes: Int, stride: Int) {
        if bytes == 4 {
            let s = source.assumingMemoryBound(to: UInt32.self)
            for i in 0..<frames { (destination + i * stride).storeBytes(of: s[i], as: UInt32.self) }
        } else {
            let s = source.assumingMemoryBound(to: UInt16.self)
            for i in 0..<frames { (destination + i * stride).storeBytes(of: s[i], as: UInt16.self) }
        }
    }

    /// Moves to `frame` (frames of music from the start): the next `read` starts exactly there.
    /// libavformat seeks to the nearest earlier point; the frames before the target are decoded
    /// and dropped. Sample-exact when timestamps are (FLAC, WAV, MP4, Ogg); MP3 seeks are as
    /// exact as libavformat's MP3 timestamps.
    ///
    /// - Throws: `MediaError.undecodable` when the file cannot seek.
    public func seek(toFrame target: Int64) throws(MediaError) {
        let target = max(0, target)
        if originPTS == nil {
            // Learn where position 0 is before jumping.
            var scratch: [UInt8] = []
            _ = try read(minimumFrames: 1, into: &scratch)
        }
        let ts = (originPTS ?? 0) + av_rescale_q(target, AVRational(num: 1, den: Int32(format.sampleRate)), timeBase)
        container.renewDeadline()
        let status = avformat_seek_file(container.pointer, streamIndex, Int64.min, ts, ts, 0)
        guard status >= 0 else {
            throw MediaError(.undecodable, path: path.displayString, call: "avformat_seek_file", status: status)
        }
        avcodec_flush_buffers(codec.context)
        inputDone = false
        finished = false
        manualSkip = 0
        position = 0
        seekTarget = target
    }
}
