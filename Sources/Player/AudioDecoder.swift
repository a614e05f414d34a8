import CFFmpeg
import MediaIO
import OmniModel

/// One track's decoder: libavformat demuxes, libavcodec decodes, and the result comes out as
/// interleaved PCM in the codec's own sample format (planar output is interleaved; no value
/// changes), trimmed of encoder delay and padding so consecutive tracks join without a gap.
///
/// Trimming: libavformat/libavcodec already drop the LAME/Xing delay and padding of MP3s, the
/// Opus pre-skip and MP4 edit lists (skip-samples side data). On top of that the music's length
/// from the header (`GaplessInfo`: MediaIO's LAME parser, or `iTunSMPB` for AAC; else, for AAC
/// in MP4, the container's duration) caps the output, and an `iTunSMPB` delay is dropped here
/// when the demuxer signalled no skip itself.
///
/// Not `Sendable`: owned by the output thread; FFmpeg contexts are used from one thread at a time.
final class AudioDecoder {
    let path: RawPath
    /// What `read` produces.
    let format: PCMFormat
    /// The codec's own sample format (for messages and the `bitsPerSample` of 24-bit FLAC).
    let codecName: String
    /// The music's length in frames, when known.
    let lengthFrames: Int64?

    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private let streamIndex: Int32
    private let timeBase: AVRational
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    /// For decoders whose sample format the pipeline does not carry (double, u8): to float.
    private var converter: Converter?
    /// The first decoded frame's timestamp (stream time base): position 0.
    private var originPTS: Int64?
    /// Frames of music emitted so far (the position).
    private(set) var position: Int64 = 0
    /// After a seek, where the output must start.
    private var seekTarget: Int64?
    /// Frames still to drop at the start (a delay the demuxer did not signal).
    private var manualSkip: Int64 = 0
    private var checkedFirstPacket = false
    private var itunesDelay: Int64 = 0
    private var validFrames: Int64?
    private var inputDone = false
    private(set) var finished = false

    /// Opens `path` and its best audio stream.
    ///
    /// - Throws: `PlayerError.decode` with the failing call and FFmpeg's message.
    init(path: RawPath) throws(PlayerError) {
        self.path = path
        let display = path.displayString
        func fail(_ call: String, _ status: Int32) -> PlayerError {
            PlayerError(.decode, message: "cannot play \(display)", detail: "\(call): \(Self.message(status)) (\(status))")
        }
        var ctx: UnsafeMutablePointer<AVFormatContext>?
        var status = path.withCString { avformat_open_input(&ctx, $0, nil, nil) }
        guard status >= 0, let ctx else { throw fail("avformat_open_input", status) }
        formatContext = ctx
        status = avformat_find_stream_info(ctx, nil)
        guard status >= 0 else { avformat_close_input(&formatContext); throw fail("avformat_find_stream_info", status) }
        var codec: UnsafePointer<AVCodec>?
        status = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0)
        guard status >= 0, let codec else { avformat_close_input(&formatContext); throw fail("av_find_best_stream", status) }
        streamIndex = status
        let stream = ctx.pointee.streams[Int(status)]!
        timeBase = stream.pointee.time_base
        codecName = String(cString: omni_codec_name(stream.pointee.codecpar))
        guard let cc = avcodec_alloc_context3(codec) else {
            avformat_close_input(&formatContext)
            throw fail("avcodec_alloc_context3", omni_averror(ENOMEM))
        }
        codecContext = cc
        status = avcodec_parameters_to_context(cc, stream.pointee.codecpar)
        if status >= 0 { status = avcodec_open2(cc, codec, nil) }
        guard status >= 0 else {
            avcodec_free_context(&codecContext)
            avformat_close_input(&formatContext)
            throw fail("avcodec_open2", status)
        }
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        let rate = Int(cc.pointee.sample_rate), channels = Int(omni_codec_context_channels(cc))
        guard rate > 0, channels > 0 else {
            av_packet_free(&packet); av_frame_free(&frame)
            avcodec_free_context(&codecContext); avformat_close_input(&formatContext)
            throw PlayerError(.decode, message: "cannot play \(display)", detail: "no sample rate or channel count")
        }
        if let sample = SampleFormat(ffmpeg: cc.pointee.sample_fmt) {
            format = PCMFormat(sampleRate: rate, channels: channels, sample: sample)
        } else {
            format = PCMFormat(sampleRate: rate, channels: channels, sample: .float32)
            converter = try Converter(from: cc.pointee.sample_fmt, channels: channels, sampleRate: rate, to: format)
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
        } else if stream.pointee.duration != omni_av_nopts_value(), stream.pointee.duration > 0 {
            var ticks = stream.pointee.duration
            if stream.pointee.codecpar.pointee.codec_id == AV_CODEC_ID_OPUS,
               stream.pointee.start_time == 0 || stream.pointee.start_time == omni_av_nopts_value() {
                ticks -= av_rescale_q(Int64(stream.pointee.codecpar.pointee.initial_padding), AVRational(num: 1, den: 48000), timeBase)
            }
            lengthFrames = av_rescale_q(ticks, timeBase, AVRational(num: 1, den: Int32(rate)))
        } else if ctx.pointee.duration != omni_av_nopts_value(), ctx.pointee.duration > 0 {
            lengthFrames = CheckedArithmetic.clampedProduct(ctx.pointee.duration, Int64(rate)) / Int64(omni_av_time_base())
        } else {
            lengthFrames = nil
        }
        // AAC in MP4 without iTunSMPB: the container's duration (the edit list's, when there is
        // one) is the music's length; libavformat 5.1 trims the priming but not the padding.
        if validFrames == nil, codecName == "aac", ctx.pointee.iformat.map({ String(cString: $0.pointee.name).contains("mp4") }) == true {
            validFrames = lengthFrames
        }
    }

    deinit {
        av_packet_free(&packet)
        av_frame_free(&frame)
        avcodec_free_context(&codecContext)
        avformat_close_input(&formatContext)
    }

    static func message(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(omni_av_error_max_string_size()))
        if av_strerror(status, &buffer, buffer.count) < 0 { return "unknown error" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
    /// - Throws: `PlayerError.decode` when the file cannot be read any further (a damaged
    ///   packet is skipped, not fatal).
    func read(minimumFrames: Int, into out: inout [UInt8]) throws(PlayerError) -> Int {
        var appended = 0
        while appended < minimumFrames && !finished {
            let status = avcodec_receive_frame(codecContext, frame)
            if status == 0 {
                appended += emit(into: &out)
                av_frame_unref(frame)
                continue
            }
            if status == omni_averror_eof() { finished = true; break }
            guard status == omni_averror_eagain() else {
                throw PlayerError(.decode, message: "cannot decode \(path.displayString)",
                                  detail: "avcodec_receive_frame: \(Self.message(status))")
            }
            try feed()
        }
        return appended
    }

    /// Sends the next packet of our stream to the decoder (or the end of input).
    private func feed() throws(PlayerError) {
        if inputDone { return }
        while true {
            let status = av_read_frame(formatContext, packet)
            if status < 0 {
                inputDone = true
                avcodec_send_packet(codecContext, nil)
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
                    if side == nil && codecContext!.pointee.delay == 0 { manualSkip = itunesDelay }
                }
            }
            let sent = avcodec_send_packet(codecContext, packet)
            // A damaged packet is dropped; the decoder resynchronises on the next one.
            if sent < 0 && sent != omni_averror_eagain() && sent != omni_averror_invaliddata() {
                throw PlayerError(.decode, message: "cannot decode \(path.displayString)",
                                  detail: "avcodec_send_packet: \(Self.message(sent))")
            }
            return
        }
    }

    /// Appends the current frame, minus what is trimmed, and returns the frames appended.
    private func emit(into out: inout [UInt8]) -> Int {
        guard let frame else { return 0 }
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
    /// - Throws: `PlayerError.decode` when the file cannot seek.
    func seek(toFrame target: Int64) throws(PlayerError) {
        let target = max(0, target)
        if originPTS == nil {
            // Learn where position 0 is before jumping.
            var scratch: [UInt8] = []
            _ = try read(minimumFrames: 1, into: &scratch)
        }
        let ts = (originPTS ?? 0) + av_rescale_q(target, AVRational(num: 1, den: Int32(format.sampleRate)), timeBase)
        let status = avformat_seek_file(formatContext, streamIndex, Int64.min, ts, ts, 0)
        guard status >= 0 else {
            throw PlayerError(.decode, message: "cannot seek in \(path.displayString)", detail: "avformat_seek_file: \(Self.message(status))")
        }
        avcodec_flush_buffers(codecContext)
        inputDone = false
        finished = false
        manualSkip = 0
        position = 0
        seekTarget = target
    }
}
