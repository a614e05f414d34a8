import CFFmpeg
import OmniModel

/// Computes a track's `TrackUID` from its audio packets (rule and reasons:
/// `docs/decisions/0002-track-identity.md`).
///
/// `uid = base32(first 128 bits of SHA-256("omni-uid-v1" ␀ codec ␀ sampleRate ␀ channels ␀
/// declared length in samples ␀ payload of the first audio packets))`. Tags, file name, path, mtime and size never enter, so a
/// renamed, copied or re-tagged file keeps its uid, while a re-encode gets a new one.
///
/// PCM (WAV, AIFF) is read straight from the data chunk in 4096-byte blocks, which are the
/// packets libavformat would return, without its slow S/PDIF sniffing.
///
/// Which packets: in demuxer order, every packet until at least `minimumPackets` have been hashed,
/// then more while the total stays within `budgetBytes` (so a short file is hashed to its end).
/// When every packet hashed so far is byte-identical (digital silence, or a constant frame, at
/// the start), reading continues up to `silenceLimitBytes` until one packet differs, so two
/// tracks that both open with seconds of silence do not collide.
public enum AudioIdentity {
    /// The domain string that versions the rule; change it and every uid changes.
    public static let domain = "omni-uid-v1"
    /// Packets always hashed (when the file has them), whatever their size.
    public static let minimumPackets = 8
    /// The normal payload budget.
    public static let budgetBytes = 64 * 1024
    /// The budget while every packet so far has been identical.
    public static let silenceLimitBytes = 1 << 20

    /// Accumulates packets according to the rule; pure, so tests can drive it with literal bytes.
    public struct Accumulator: Sendable {
        private var hasher = SHA256()
        private var first: [UInt8]?
        private var allIdentical = true
        /// Packets hashed so far.
        public private(set) var packetCount = 0
        /// Payload bytes hashed so far.
        public private(set) var byteCount = 0
        /// False once the rule says to stop reading.
        public private(set) var wantsMore = true

        /// Starts a uid for a stream with these parameters.
        /// - Parameter declaredSamples: the stream's length in samples as the container header
        ///   declares it (FLAC STREAMINFO, Ogg last granule, MP4 `mdhd`, WAV data size, MP3 Xing
        ///   frame count), or nil when the header does not say (CBR MP3 without Xing).
        public init(codec: String, sampleRate: Int, channels: Int, declaredSamples: Int64?) {
            let length = declaredSamples.map { String($0) } ?? "-"
            hasher.update(Array("\(AudioIdentity.domain)\0\(codec)\0\(sampleRate)\0\(channels)\0\(length)\0".utf8))
        }

        /// Offers the next packet's payload; hashes it when the rule takes it. Returns `wantsMore`.
        @discardableResult
        public mutating func add(_ payload: UnsafeRawBufferPointer) -> Bool {
            guard wantsMore else { return false }
            guard payload.count > 0 else { return true }
            let withinBudget = packetCount < AudioIdentity.minimumPackets || byteCount + payload.count <= AudioIdentity.budgetBytes
            let extendingForSilence = !withinBudget && allIdentical && byteCount + payload.count <= AudioIdentity.silenceLimitBytes
            guard withinBudget || extendingForSilence else {
                wantsMore = false
                return false
            }
            hasher.update(payload)
            packetCount += 1
            byteCount += payload.count
            if let first {
                if allIdentical && !first.elementsEqual(payload) {
                    allIdentical = false
                    // Past the normal budget we were only reading to find a differing packet.
                    if extendingForSilence { wantsMore = false }
                }
            } else {
                first = Array(payload)
            }
            return wantsMore
        }

        /// Offers a packet given as an array.
        @discardableResult
        public mutating func add(_ payload: [UInt8]) -> Bool {
            payload.withUnsafeBytes { add($0) }
        }

        /// The uid of what was hashed.
        public func finish() -> TrackUID {
            var copy = hasher
            return TrackUID(rawValue: AudioIdentity.base32(copy.finalize().prefix(16)))
        }
    }

    /// Reads packets of `streamIndex` from an open context and returns the uid.
    /// - Throws: `MediaError.unsupportedFormat` when the stream yields no packet at all.
    static func compute(_ context: FormatContext, streamIndex: Int, codec: String, sampleRate: Int, channels: Int) throws(MediaError) -> TrackUID {
        var accumulator = Accumulator(codec: codec, sampleRate: sampleRate, channels: channels,
                                      declaredSamples: declaredSamples(context.stream(streamIndex), sampleRate: sampleRate))
        guard let packet = av_packet_alloc() else {
            throw MediaError(.unsupportedFormat, path: context.displayPath, call: "av_packet_alloc", status: omni_averror(ENOMEM))
        }
        defer {
            var optional: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&optional)
        }
        let stream = context.stream(streamIndex)
        let blockAlign = Int(stream.pointee.codecpar!.pointee.block_align)
        if codec.hasPrefix("pcm_"), blockAlign > 0, let samples = declaredSamples(stream, sampleRate: sampleRate),
           let io = context.pointer.pointee.pb {
            // PCM: read the sample data directly in the 4096-byte blocks the WAV/AIFF demuxers use
            // as packets. Same bytes, but it skips the WAV demuxer's S/PDIF detection on the first
            // av_read_frame, which scans 64 KiB for AC-3/DTS/MPEG sync words and costs ~5 ms a file.
            // The count is the file's word (an RF64 `ds64` holds 64 bits): 2^62 samples of 4
            // bytes overflows, and no file that large exists.
            guard var remaining = CheckedArithmetic.product(samples, Int64(blockAlign)) else {
                throw MediaError(.outOfRange, path: context.displayPath,
                                 detail: "the header declares \(samples) samples of \(blockAlign) bytes, more bytes than a file can hold")
            }
            var block = [UInt8](repeating: 0, count: 4096)
            while accumulator.wantsMore, remaining > 0 {
                let want = Int32(min(Int64(block.count), remaining))
                let got = block.withUnsafeMutableBytes { avio_read(io, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), want) }
                if got <= 0 { break }
                _ = block.withUnsafeBytes { accumulator.add(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(got)))) }
                remaining -= Int64(got)
            }
            if accumulator.packetCount > 0 { return accumulator.finish() }
        }
        var lastStatus: Int32 = 0
        while accumulator.wantsMore {
            lastStatus = av_read_frame(context.pointer, packet)
            if lastStatus < 0 { break } // EOF, or damage after the good part: hash what we have.
            if packet.pointee.stream_index == Int32(streamIndex), let data = packet.pointee.data, packet.pointee.size > 0 {
                accumulator.add(UnsafeRawBufferPointer(start: data, count: Int(packet.pointee.size)))
            }
            av_packet_unref(packet)
        }
        guard accumulator.packetCount > 0 else {
            throw MediaError(.unsupportedFormat, path: context.displayPath, call: "av_read_frame",
                             status: lastStatus < 0 ? lastStatus : omni_averror_eof())
        }
        return accumulator.finish()
    }

    /// The stream's length in samples as the demuxer read it from the container header, before any
    /// packet is read (so it does not depend on how far we read).
    static func declaredSamples(_ stream: UnsafeMutablePointer<AVStream>, sampleRate: Int) -> Int64? {
        let duration = stream.pointee.duration
        guard duration != omni_av_nopts_value(), duration > 0, sampleRate > 0, stream.pointee.time_base.den > 0 else { return nil }
        return av_rescale_q(duration, stream.pointee.time_base, AVRational(num: 1, den: Int32(sampleRate)))
    }

    /// RFC 4648 base32, lowercase, without padding (16 bytes give 26 characters).
    public static func base32<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        // ASCII bytes, one String at the end: an array of `Character`s made per call and appended
        // one by one was ~1 % of a probe thread (decision 0039).
        let alphabet: StaticString = "abcdefghijklmnopqrstuvwxyz234567"
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet.utf8Start[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet.utf8Start[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// SHA-256 lives in OmniModel (the sync server hashes tokens with it); this name keeps code
/// that imports only MediaIO compiling.
public typealias SHA256 = OmniModel.SHA256
