import OmniModel

/// A file decoded to 32-bit float at a chosen sample rate, block by block: what audio analysis
/// reads (loudness on the channels, tempo and key on a mono mix). Only one block and the
/// resampler's history are in memory, whatever the file's length.
///
/// Decoding is `AudioDecoder`'s (so gapless trimming applies: the samples are the music, not
/// the encoder's delay or padding); mixing and resampling are libswresample's.
///
/// Not `Sendable`: owned by one thread. Blocking: run it on a worker thread, not the
/// cooperative pool.
///
/// ```swift
/// let reader = try FloatSampleReader(path: path, sampleRate: 22_050, channels: .mono)
/// var block: [Float] = []
/// while try reader.read(into: &block, maximumFrames: 65_536) > 0 { analyse(block) }
/// ```
public final class FloatSampleReader {
    /// Which channels come out.
    public enum Channels: Sendable, Equatable {
        /// One channel, the mean of the file's (every channel weighs 1/channels, so a
        /// full-scale stereo signal stays within ±1; libswresample's default downmix would add
        /// the two sides at 0.707 each).
        case mono
        /// The file's channels, interleaved; more than two are mixed down to stereo
        /// (libswresample's standard matrix).
        case kept
    }

    /// The rate of the samples `read` produces.
    public let sampleRate: Int
    /// The channels of the samples `read` produces (interleaved when 2).
    public let channels: Int
    /// The decoder's own format (rate, channels, sample format) before mixing and resampling.
    public let sourceFormat: PCMFormat
    /// The music's length in frames at `sampleRate`, when the file says it.
    public let lengthFrames: Int64?

    private let decoder: AudioDecoder
    private let converter: PCMConverter
    private var decoded: [UInt8] = []
    /// Converted float bytes not yet handed out.
    private var pending: [UInt8] = []
    private var flushed = false

    /// Opens `path` for decoding to float at `sampleRate` (1–384,000 Hz).
    ///
    /// - Throws: `MediaError` as `AudioDecoder.init` does, or `.unconvertible` for a rate
    ///   libswresample refuses.
    public init(path: RawPath, sampleRate: Int, channels: Channels = .mono) throws(MediaError) {
        guard (1...384_000).contains(sampleRate) else {
            throw MediaError(.unconvertible, path: path.displayString, detail: "sample rate \(sampleRate) out of 1...384000")
        }
        let decoder = try AudioDecoder(path: path)
        let source = decoder.format
        let outputChannels = channels == .mono ? 1 : min(2, source.channels)
        self.decoder = decoder
        self.sampleRate = sampleRate
        self.channels = outputChannels
        sourceFormat = source
        let output = PCMFormat(sampleRate: sampleRate, channels: outputChannels, sample: .float32)
        converter = try PCMConverter(from: source.sample.ffmpeg, channels: source.channels,
                                     sampleRate: source.sampleRate, to: output, mix: channels == .mono ? .average : .standard,
                                     what: path.displayString)
        lengthFrames = decoder.lengthFrames.map {
            CheckedArithmetic.clampedProduct($0, Int64(sampleRate)) / Int64(source.sampleRate)
        }
    }

    /// Replaces the contents of `samples` with the next block: `maximumFrames` frames
    /// (`channels` samples each, interleaved), fewer only for the last block. Returns the frames;
    /// 0 at the end of the file.
    ///
    /// - Throws: `MediaError.undecodable` when the file cannot be decoded any further.
    public func read(into samples: inout [Float], maximumFrames: Int = 65_536) throws(MediaError) -> Int {
        let frameBytes = 4 * channels
        let wanted = max(1, maximumFrames)
        while pending.count / frameBytes < wanted && !flushed {
            decoded.removeAll(keepingCapacity: true)
            let frames = try decoder.read(minimumFrames: 4096, into: &decoded)
            if frames == 0 {
                converter.flush(appendingTo: &pending)
                flushed = true
            } else {
                decoded.withUnsafeBytes { _ = converter.convert(interleaved: $0, appendingTo: &pending) }
            }
        }
        let count = min(wanted, pending.count / frameBytes)
        samples.removeAll(keepingCapacity: true)
        guard count > 0 else { return 0 }
        pending.withUnsafeBytes { bytes in
            samples.append(contentsOf: UnsafeBufferPointer(start: bytes.baseAddress!.assumingMemoryBound(to: Float.self), count: count * channels))
        }
        pending.removeFirst(count * frameBytes)
        return count
    }
}
