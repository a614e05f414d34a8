import CFFmpeg

/// A libswresample context converting PCM from one format to another (rate, channels, sample
/// format). The player uses it only when the device cannot take the source format, the decoder
/// when a codec produces a sample format the pipeline does not carry (double, unsigned 8-bit),
/// and `FloatSampleReader` to mix and resample for analysis.
///
/// Not `Sendable`: owned by one thread. Keeps the resampler's history across calls, so
/// consecutive tracks of the same format stay gapless through it.
public final class PCMConverter {
    let inputFormat: AVSampleFormat
    let inputChannels: Int
    /// What `convert` appends.
    public let output: PCMFormat
    private var context: OpaquePointer?

    /// How channels are mixed when their number changes.
    enum Mix {
        /// libswresample's default matrix (ITU downmix levels, 0.707 for a stereo pair into mono).
        case standard
        /// Every input channel weighs 1/channels into every output channel: mono is the mean.
        case average
    }

    /// - Parameter what: the file (or device) converted for, in the error's message only.
    /// - Throws: `MediaError.unconvertible` when libswresample refuses the pair.
    init(from inputFormat: AVSampleFormat, channels: Int, sampleRate: Int, to output: PCMFormat,
         mix: Mix = .standard, what: String = "") throws(MediaError) {
        self.inputFormat = inputFormat
        self.inputChannels = channels
        self.output = output
        var inLayout = AVChannelLayout(), outLayout = AVChannelLayout()
        av_channel_layout_default(&inLayout, Int32(channels))
        av_channel_layout_default(&outLayout, Int32(output.channels))
        defer { av_channel_layout_uninit(&inLayout); av_channel_layout_uninit(&outLayout) }
        var ctx: OpaquePointer?
        var status = swr_alloc_set_opts2(&ctx, &outLayout, output.sample.ffmpeg, Int32(output.sampleRate),
                                         &inLayout, inputFormat, Int32(sampleRate), 0, nil)
        if status >= 0, ctx != nil, mix == .average, channels != output.channels {
            let matrix = [Double](repeating: 1 / Double(channels), count: channels * output.channels)
            status = swr_set_matrix(ctx, matrix, Int32(channels))
        }
        if status >= 0, ctx != nil { status = swr_init(ctx) }
        guard status >= 0, let ctx else {
            swr_free(&ctx)
            throw MediaError(.unconvertible, path: what,
                             call: "swr_init (\(sampleRate) Hz \(channels) ch to \(output))", status: status)
        }
        context = ctx
    }

    /// A converter between two of the pipeline's interleaved formats.
    ///
    /// - Throws: `MediaError.unconvertible` when libswresample refuses the pair.
    public convenience init(from input: PCMFormat, to output: PCMFormat) throws(MediaError) {
        try self.init(from: input.sample.ffmpeg, channels: input.channels, sampleRate: input.sampleRate, to: output)
    }

    deinit { swr_free(&context) }

    /// Converts `frames` frames whose planes (one for interleaved input) are `planes`, appending
    /// the output to `out`. Returns the frames appended.
    @discardableResult
    func convert(planes: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, frames: Int, appendingTo out: inout [UInt8]) -> Int {
        let capacity = Int(swr_get_out_samples(context, Int32(frames))) + 64
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: capacity * output.frameBytes))
        let produced: Int32 = out.withUnsafeMutableBytes { buffer in
            var plane: UnsafeMutablePointer<UInt8>? = buffer.baseAddress!.advanced(by: start).assumingMemoryBound(to: UInt8.self)
            return swr_convert(context, &plane, Int32(capacity), planes, Int32(frames))
        }
        let kept = max(0, Int(produced))
        out.removeLast((capacity - kept) * output.frameBytes)
        return kept
    }

    /// Converts interleaved bytes in the input format, appending to `out`. Returns the frames appended.
    @discardableResult
    public func convert(interleaved bytes: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) -> Int {
        let frameBytes = av_get_bytes_per_sample(inputFormat) * Int32(inputChannels)
        let frames = bytes.count / Int(frameBytes)
        var plane: UnsafePointer<UInt8>? = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        return convert(planes: &plane, frames: frames, appendingTo: &out)
    }

    /// Emits what the resampler still holds (at the very end of the input). Returns the frames appended.
    @discardableResult
    public func flush(appendingTo out: inout [UInt8]) -> Int { convert(planes: nil, frames: 0, appendingTo: &out) }
}
