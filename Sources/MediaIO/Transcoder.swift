import CFFmpeg
import OmniModel

/// What a transcoded stream is encoded as: the three formats phones and browsers play while
/// the bytes arrive.
public enum TranscodeFormat: String, Sendable, CaseIterable, Codable {
    /// MP3 (libmp3lame, constant bit rate), no ID3 tag and no Xing header (the output is not
    /// seekable, so none could be patched in at the end).
    case mp3
    /// Opus (libopus) in Ogg, at 48 kHz.
    case opus
    /// AAC-LC (FFmpeg's own encoder) in ADTS: every frame carries its own header, so a player
    /// can start decoding at the first byte, and Android (MediaPlayer, ExoPlayer) and iOS
    /// (AVPlayer) play it progressively. Fragmented MP4 would need the client to understand
    /// `moof` boxes and gains nothing while streaming (decision 0024).
    case aac

    /// The `Content-Type` of the stream.
    public var mimeType: String {
        switch self {
        case .mp3: "audio/mpeg"
        case .opus: "audio/ogg; codecs=opus"
        case .aac: "audio/aac"
        }
    }

    /// The usual file extension ("mp3", "opus", "aac").
    public var fileExtension: String { rawValue }

    /// The bit rates (kbit/s) asked rates are clamped to.
    public var bitRates: ClosedRange<Int> {
        switch self {
        case .mp3: 32...320
        case .opus: 16...256
        case .aac: 32...320
        }
    }

    /// The bit rate (kbit/s) when none is asked.
    public var defaultBitRate: Int {
        switch self {
        case .mp3: 192
        case .opus: 128
        case .aac: 192
        }
    }

    var encoderName: String {
        switch self {
        case .mp3: "libmp3lame"
        case .opus: "libopus"
        case .aac: "aac"
        }
    }

    var muxerName: String {
        switch self {
        case .mp3: "mp3"
        case .opus: "ogg"
        case .aac: "adts"
        }
    }
}

/// One variant of a track: format, bit rate and start offset, with the asked values clamped.
public struct TranscodeRequest: Sendable, Hashable {
    /// The output format.
    public var format: TranscodeFormat
    /// The target bit rate in kbit/s, within `format.bitRates`.
    public var bitRate: Int
    /// Where the output starts, in seconds from the music's start (0 or more).
    public var timeOffset: Double

    /// - Parameters:
    ///   - bitRate: kbit/s; nil or 0 takes the format's default; clamped to `format.bitRates`.
    ///   - timeOffset: seconds; negative, NaN or infinite values start at 0.
    public init(format: TranscodeFormat, bitRate: Int? = nil, timeOffset: Double = 0) {
        self.format = format
        let asked = bitRate.flatMap { $0 > 0 ? $0 : nil } ?? format.defaultBitRate
        self.bitRate = min(max(asked, format.bitRates.lowerBound), format.bitRates.upperBound)
        self.timeOffset = timeOffset.isFinite && timeOffset > 0 ? timeOffset : 0
    }
}

/// Decodes a track with `AudioDecoder` and encodes it with libavcodec into `TranscodeFormat`'s
/// container, a piece at a time: each `read` returns the next bytes of the stream as soon as
/// the encoder produced them, so a client hears the start long before the end is encoded.
///
/// The source is converted by libswresample only as far as the encoder needs: to its sample
/// format, to a rate it takes (the source's when it can, else the nearest above it, else its
/// highest; 48 kHz for Opus), and to at most two channels.
///
/// Not `Sendable`: owned by one thread; blocking. `TranscodeStream` runs one on a thread of
/// its own and hands the bytes to an async consumer.
public final class Transcoder {
    /// The variant produced.
    public let request: TranscodeRequest
    /// The decoder's format.
    public let sourceFormat: PCMFormat
    /// The output's rate and channels (the samples are in the encoder's own format).
    public let outputSampleRate: Int
    public let outputChannels: Int
    /// The output's length in seconds (the music after `timeOffset`), when the file says it.
    public let durationSeconds: Double?

    private let decoder: AudioDecoder
    private let converter: PCMConverter
    private let encoder: Encoder
    private let output: Output
    /// Interleaved float samples converted but not yet encoded.
    private var pending: [Float] = []
    private var decoded: [UInt8] = []
    private var convertedBytes: [UInt8] = []
    private var samplesSent: Int64 = 0
    private var decoderDone = false
    private var encoderFlushed = false
    private var finished = false
    private let path: String

    /// Opens `path` and prepares the encoder and the muxer (the container's header is the
    /// first thing `read` returns).
    ///
    /// - Throws: `MediaError` from opening or seeking the file; `.unconvertible` when the encoder
    ///   or muxer cannot be set up.
    public init(path: RawPath, request: TranscodeRequest) throws(MediaError) {
        self.request = request
        self.path = path.displayString
        decoder = try AudioDecoder(path: path)
        sourceFormat = decoder.format
        let display = path.displayString
        guard let codec = avcodec_find_encoder_by_name(request.format.encoderName) else {
            throw MediaError(.unconvertible, path: display, detail: "no \(request.format.encoderName) encoder in this FFmpeg")
        }
        outputChannels = min(2, decoder.format.channels)
        outputSampleRate = Self.rate(for: codec, source: decoder.format.sampleRate, format: request.format)
        encoder = try Encoder(codec: codec, rate: outputSampleRate, channels: outputChannels,
                              bitRate: request.bitRate * 1000, what: display)
        converter = try PCMConverter(from: decoder.format,
                                     to: PCMFormat(sampleRate: outputSampleRate, channels: outputChannels, sample: .float32),
                                     what: display)
        output = try Output(muxer: request.format.muxerName, encoder: encoder, what: display)
        let offsetFrames = Int64(request.timeOffset * Double(decoder.format.sampleRate))
        if offsetFrames > 0 { try decoder.seek(toFrame: offsetFrames) }
        let sourceRate = Double(sourceFormat.sampleRate)
        durationSeconds = decoder.lengthFrames.map { Swift.max(0, Double($0 - offsetFrames) / sourceRate) }
        pending.reserveCapacity(16_384)
    }

    /// The rate the encoder gets: the source's when the encoder lists it (or lists nothing),
    /// else the lowest listed rate above it, else the highest listed.
    static func rate(for codec: UnsafePointer<AVCodec>, source: Int, format: TranscodeFormat) -> Int {
        var rates: [Int] = []
        if var list = codec.pointee.supported_samplerates {
            while list.pointee != 0 { rates.append(Int(list.pointee)); list += 1 }
        }
        if rates.isEmpty { return format == .aac ? min(source, 48_000) : source }
        if rates.contains(source) { return source }
        return rates.filter { $0 > source }.min() ?? rates.max() ?? 48_000
    }

    /// Appends the next bytes of the stream to `out` and returns how many; 0 once the stream
    /// is complete (the container's trailer written).
    ///
    /// - Throws: `MediaError.undecodable` when the file cannot be decoded any further,
    ///   `.unconvertible` when the encoder or muxer fails.
    public func read(into out: inout [UInt8]) throws(MediaError) -> Int {
        while output.sink.bytes.isEmpty && !finished {
            try step()
        }
        let count = output.sink.bytes.count
        out.append(contentsOf: output.sink.bytes)
        output.sink.bytes.removeAll(keepingCapacity: true)
        return count
    }

    /// One step: encode a frame if there is one, else decode more, else flush and finish.
    private func step() throws(MediaError) {
        let frameSize = encoder.frameSize
        let channels = outputChannels
        if pending.count >= frameSize * channels || (decoderDone && !pending.isEmpty) {
            let frames = min(frameSize, pending.count / channels)
            try encoder.send(pending, frames: frames, pts: samplesSent, what: path)
            pending.removeFirst(frames * channels)
            samplesSent += Int64(frames)
            try output.drain(encoder, what: path)
        } else if !decoderDone {
            decoded.removeAll(keepingCapacity: true)
            convertedBytes.removeAll(keepingCapacity: true)
            if try decoder.read(minimumFrames: 4096, into: &decoded) == 0 {
                converter.flush(appendingTo: &convertedBytes)
                decoderDone = true
            } else {
                decoded.withUnsafeBytes { _ = converter.convert(interleaved: $0, appendingTo: &convertedBytes) }
            }
            convertedBytes.withUnsafeBytes { pending.append(contentsOf: $0.bindMemory(to: Float.self)) }
        } else if !encoderFlushed {
            encoderFlushed = true
            try encoder.flush(what: path)
            try output.drain(encoder, what: path)
            try output.finish(what: path)
            finished = true
        } else {
            finished = true
        }
    }

    // MARK: - Owners of the FFmpeg objects

    /// The encoder's context, frame and packet, freed in `deinit`.
    final class Encoder {
        var context: UnsafeMutablePointer<AVCodecContext>?
        var frame: UnsafeMutablePointer<AVFrame>?
        var packet: UnsafeMutablePointer<AVPacket>?
        // Set once `init` has opened the encoder. Given values first, so that the object is
        // whole before anything can throw and `deinit` frees what was allocated.
        private(set) var frameSize = 1024
        private(set) var planar = true
        let channels: Int
        /// Pads the last frame with silence when the encoder takes only whole frames.
        private(set) var wholeFramesOnly = false

        init(codec: UnsafePointer<AVCodec>, rate: Int, channels: Int, bitRate: Int, what: String) throws(MediaError) {
            context = avcodec_alloc_context3(codec)
            frame = av_frame_alloc()
            packet = av_packet_alloc()
            self.channels = channels
            guard let cc = context, frame != nil, packet != nil else {
                throw MediaError(.unconvertible, path: what, call: "avcodec_alloc_context3", status: omni_averror(ENOMEM))
            }
            // Float, planar or interleaved, whichever the encoder lists first (all three take one).
            var sampleFormat = AV_SAMPLE_FMT_FLTP
            if var list = codec.pointee.sample_fmts {
                var found: AVSampleFormat?
                while list.pointee != AV_SAMPLE_FMT_NONE {
                    if list.pointee == AV_SAMPLE_FMT_FLTP || list.pointee == AV_SAMPLE_FMT_FLT { found = list.pointee; break }
                    list += 1
                }
                guard let found else {
                    throw MediaError(.unconvertible, path: what, detail: "the encoder takes no float samples")
                }
                sampleFormat = found
            }
            planar = sampleFormat == AV_SAMPLE_FMT_FLTP
            cc.pointee.sample_fmt = sampleFormat
            cc.pointee.sample_rate = Int32(rate)
            av_channel_layout_default(&cc.pointee.ch_layout, Int32(channels))
            cc.pointee.bit_rate = Int64(bitRate)
            cc.pointee.time_base = AVRational(num: 1, den: Int32(rate))
            let status = avcodec_open2(cc, codec, nil)
            guard status >= 0 else { throw MediaError(.unconvertible, path: what, call: "avcodec_open2", status: status) }
            let variable = codec.pointee.capabilities & (1 << 16) != 0 // AV_CODEC_CAP_VARIABLE_FRAME_SIZE
            frameSize = cc.pointee.frame_size > 0 && !variable ? Int(cc.pointee.frame_size) : 1024
            wholeFramesOnly = codec.pointee.capabilities & (1 << 6) == 0 && !variable // AV_CODEC_CAP_SMALL_LAST_FRAME
        }

        deinit {
            av_packet_free(&packet)
            av_frame_free(&frame)
            avcodec_free_context(&context)
        }

        /// Sends `frames` frames of interleaved float from the start of `samples`.
        func send(_ samples: [Float], frames: Int, pts: Int64, what: String) throws(MediaError) {
            guard let frame, let cc = context else { return }
            let count = wholeFramesOnly ? frameSize : frames
            frame.pointee.nb_samples = Int32(count)
            frame.pointee.format = cc.pointee.sample_fmt.rawValue
            frame.pointee.sample_rate = cc.pointee.sample_rate
            av_channel_layout_copy(&frame.pointee.ch_layout, &cc.pointee.ch_layout)
            var status = av_frame_get_buffer(frame, 0)
            if status >= 0 { status = av_frame_make_writable(frame) }
            guard status >= 0 else {
                av_frame_unref(frame)
                throw MediaError(.unconvertible, path: what, call: "av_frame_get_buffer", status: status)
            }
            samples.withUnsafeBufferPointer { source in
                if planar {
                    for channel in 0..<channels {
                        let plane = UnsafeMutableRawPointer(frame.pointee.extended_data[channel]!).assumingMemoryBound(to: Float.self)
                        for i in 0..<frames { plane[i] = source[i * channels + channel] }
                        for i in frames..<count { plane[i] = 0 }
                    }
                } else {
                    let plane = UnsafeMutableRawPointer(frame.pointee.extended_data[0]!).assumingMemoryBound(to: Float.self)
                    plane.update(from: source.baseAddress!, count: frames * channels)
                    for i in (frames * channels)..<(count * channels) { plane[i] = 0 }
                }
            }
            frame.pointee.pts = pts
            status = avcodec_send_frame(cc, frame)
            av_frame_unref(frame)
            guard status >= 0 else { throw MediaError(.unconvertible, path: what, call: "avcodec_send_frame", status: status) }
        }

        /// Tells the encoder the input has ended.
        func flush(what: String) throws(MediaError) {
            let status = avcodec_send_frame(context, nil)
            guard status >= 0 || status == omni_averror_eof() else {
                throw MediaError(.unconvertible, path: what, call: "avcodec_send_frame", status: status)
            }
        }
    }

    /// Collects what the muxer writes (called back by libavformat on the transcoder's thread).
    final class Sink {
        var bytes: [UInt8] = []
    }

    /// The muxer and its custom write-only I/O, freed in `deinit`.
    final class Output {
        var context: UnsafeMutablePointer<AVFormatContext>?
        var io: UnsafeMutablePointer<AVIOContext>?
        let sink = Sink()
        /// Owned by `context`.
        private var stream: UnsafeMutablePointer<AVStream>?

        init(muxer: String, encoder: Encoder, what: String) throws(MediaError) {
            var made: UnsafeMutablePointer<AVFormatContext>?
            var status = avformat_alloc_output_context2(&made, nil, muxer, nil)
            guard status >= 0, let made else {
                throw MediaError(.unconvertible, path: what, call: "avformat_alloc_output_context2", status: status)
            }
            context = made
            // Small buffer, flushed after every packet: bytes leave as soon as they exist.
            let size = 4096
            guard let buffer = av_malloc(size)?.assumingMemoryBound(to: UInt8.self) else {
                throw MediaError(.unconvertible, path: what, call: "av_malloc", status: omni_averror(ENOMEM))
            }
            io = avio_alloc_context(buffer, Int32(size), 1, Unmanaged.passUnretained(sink).toOpaque(), nil, sinkWrite, nil)
            guard let io else {
                av_free(buffer)
                throw MediaError(.unconvertible, path: what, call: "avio_alloc_context", status: omni_averror(ENOMEM))
            }
            made.pointee.pb = io
            made.pointee.flags |= 0x0080 | 0x0200 // AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_FLUSH_PACKETS
            guard let created = avformat_new_stream(made, nil) else {
                throw MediaError(.unconvertible, path: what, call: "avformat_new_stream", status: omni_averror(ENOMEM))
            }
            stream = created
            status = avcodec_parameters_from_context(created.pointee.codecpar, encoder.context)
            guard status >= 0 else { throw MediaError(.unconvertible, path: what, call: "avcodec_parameters_from_context", status: status) }
            created.pointee.time_base = encoder.context!.pointee.time_base
            var options: OpaquePointer?
            // MP3: no ID3v2 tag (a stream has no tags to carry), no Xing header (not seekable).
            if muxer == "mp3" {
                av_dict_set(&options, "id3v2_version", "0", 0)
                av_dict_set(&options, "write_xing", "0", 0)
            }
            status = avformat_write_header(made, &options)
            av_dict_free(&options)
            guard status >= 0 else { throw MediaError(.unconvertible, path: what, call: "avformat_write_header", status: status) }
            avio_flush(io)
        }

        deinit {
            if let io {
                av_freep(&io.pointee.buffer)
                var optional: UnsafeMutablePointer<AVIOContext>? = io
                avio_context_free(&optional)
            }
            avformat_free_context(context)
        }

        /// Moves every packet the encoder has ready into the muxer.
        func drain(_ encoder: Encoder, what: String) throws(MediaError) {
            guard let packet = encoder.packet, let stream else { return }
            while true {
                let status = avcodec_receive_packet(encoder.context, packet)
                if status == omni_averror_eagain() || status == omni_averror_eof() { return }
                guard status >= 0 else { throw MediaError(.unconvertible, path: what, call: "avcodec_receive_packet", status: status) }
                av_packet_rescale_ts(packet, encoder.context!.pointee.time_base, stream.pointee.time_base)
                packet.pointee.stream_index = stream.pointee.index
                let written = av_write_frame(context, packet)
                av_packet_unref(packet)
                guard written >= 0 else { throw MediaError(.unconvertible, path: what, call: "av_write_frame", status: written) }
            }
        }

        /// Writes the container's trailer.
        func finish(what: String) throws(MediaError) {
            let status = av_write_trailer(context)
            guard status >= 0 else { throw MediaError(.unconvertible, path: what, call: "av_write_trailer", status: status) }
            avio_flush(io)
        }
    }
}

/// libavformat's write callback: appends to the `Sink` (the transcoder's thread, synchronously).
private let sinkWrite: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = { opaque, buffer, size in
    guard let opaque, let buffer, size > 0 else { return 0 }
    let sink = Unmanaged<Transcoder.Sink>.fromOpaque(opaque).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: Int(size)))
    return size
}
