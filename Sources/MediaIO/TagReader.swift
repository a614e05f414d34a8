import CFFmpeg
import Logging
import OmniModel

/// Reads one audio file's tags, stream properties, embedded cover and identity in one pass.
///
/// A stateless `Sendable` value: create one and share it. `probe` is blocking (file I/O and
/// libavformat) and must run on a dedicated thread or bounded pool, never on Swift's cooperative
/// executor. Many threads may call `probe` concurrently: each call owns its own `AVFormatContext`
/// and file descriptor, and nothing else is shared (see `FFmpegLogging` for the one global).
///
/// Pipeline (MediaIO/README.md): open with the extension's demuxer (no content probing) → only
/// when codec parameters are missing, `avformat_find_stream_info` → tags from libavformat (format
/// and audio-stream dictionaries) and, for MP3, from our own ID3v2, APEv2 and ID3v1 parsers,
/// merged by priority → attached pictures → identity from the first audio packets → duration rules.
public struct TagReader: Sendable {
    private let logger: Logger?

    /// Creates a reader. `logger` receives one debug line per slow-path decision (may be nil).
    public init(logger: Logger? = nil) {
        self.logger = logger
    }

    /// Probes the file at `path`.
    ///
    /// - Parameters:
    ///   - path: the file, as raw bytes (non-UTF-8 names work).
    ///   - withArtwork: when false, `artwork` is nil and picture bytes are not copied.
    /// - Returns: tags (title falls back to the file name), audio properties, the embedded front
    ///   cover, and the track's uid.
    /// - Throws: `MediaError` for missing or unreadable files, unknown or damaged formats, files
    ///   without an audio stream.
    /// - Note: Blocking. Call from a dedicated thread, never from the cooperative pool.
    ///   Thread-safe: many threads may call it concurrently.
    public func probe(_ path: RawPath, withArtwork: Bool = true) throws(MediaError) -> ProbeResult {
        try probe(FileReader(opening: path), path: path, withArtwork: withArtwork)
    }

    /// Probes the file at `path` unless some process has it open for writing (a copy in
    /// progress, see `WriterCheck`): then returns nil without reading it. The check uses the
    /// probe's own descriptor, so a scan opens each file once (decision 0038).
    ///
    /// - Throws: as `probe(_:withArtwork:)`.
    /// - Note: Blocking; thread-safe, as `probe(_:withArtwork:)`.
    public func probeUnlessBeingWritten(_ path: RawPath, withArtwork: Bool = true) throws(MediaError) -> ProbeResult? {
        let file = try FileReader(opening: path)
        if WriterCheck.isBeingWritten(descriptor: file.descriptor) { return nil }
        return try probe(file, path: path, withArtwork: withArtwork)
    }

    private func probe(_ file: FileReader, path: RawPath, withArtwork: Bool) throws(MediaError) -> ProbeResult {
        // One descriptor for the whole probe: our parsers read it with pread, libavformat through
        // a custom AVIOContext over it (PatchedInput; docs/decisions/0029-scan-footprint.md).
        // A leading ID3v2 tag is read by our parser first, within `TagLimits`. libavformat reads
        // one in front of any format (in avformat_open_input) without limits, so a tag over them
        // is skipped for libavformat: our parser's values are then the only ones.
        let id3v2 = ID3v2Parser.read(file, includePictures: withArtwork)
        let skip = id3v2.map { $0.isOverLimits ? $0.totalSize : 0 } ?? 0
        var warnings = id3v2?.warnings ?? []
        // Tags libavformat would read without limits (decision 0021): a damaged or oversized FLAC
        // metadata, an Ogg comment of too many entries, an MP4 tag list of too many items. It then
        // reads a repaired or patched file, and our reading of those tags replaces its own.
        var ownSource: (tags: RawTags, pictures: [EmbeddedPicture])?
        let start = id3v2?.totalSize ?? 0
        let flacLayout = FLACLayout.read(file, start: start)
        let repair = LibavRepair.needed(file, start: start, flac: flacLayout)
        let input = repair?.input
        switch repair?.repair {
        case .flac(let layout):
            let read = layout.tags(file, includePictures: withArtwork)
            ownSource = (read.collector.tags, read.pictures)
            warnings += layout.damage.map { ProbeWarning(.tagDamaged, "FLAC metadata: \($0)") }
            warnings += read.collector.warnings(tag: "Vorbis comment")
            if read.droppedPictures > 0 {
                warnings.append(ProbeWarning(.tagTruncated, "FLAC metadata: \(read.droppedPictures) pictures over the limit of \(TagLimits.pictures) were left out"))
            }
            if layout.streamInfo(file).map({ $0.sampleRate == 0 }) ?? true {
                warnings.append(ProbeWarning(.durationFromStream, "FLAC metadata: no valid STREAMINFO; the stream's parameters and length were read from its frames"))
            }
        case .ogg(let chain):
            if chain[0].needsRepair {
                let read = chain[0].tags(file, includePictures: withArtwork)
                ownSource = (read.collector.tags, read.pictures)
                warnings += read.collector.warnings(tag: "Vorbis comment")
            }
            // A later link's tags are not the file's: its comment is only hidden from libavformat.
            for (index, link) in chain.enumerated().dropFirst() where link.needsRepair {
                warnings.append(ProbeWarning(.tagTruncated, "Ogg: the comment of stream \(index + 1) (\(link.entryCount) entries, \(link.commentSize) bytes) is over the limits and was not read"))
            }
        case .mp4(let mp4):
            if let read = mp4.tags(file, includePictures: withArtwork) {
                ownSource = (read.collector.tags, read.pictures)
                warnings += read.collector.warnings(tag: "MP4 ilst")
            }
            warnings.append(ProbeWarning(.tagTruncated, "MP4: \(mp4.hidden.count) tag lists of more than \(TagLimits.values) items were not read whole"))
        case nil:
            break
        }
        let libavInput = input ?? PatchedInput(file: file)
        var context = try FormatContext(path: path, skipInitialBytes: skip, input: libavInput)
        if context.usedExtensionHint {
            // MP3 and FLAC: the values are in their own headers (see HeaderParameters). Done
            // before choosing the stream: av_find_best_stream skips audio streams without them.
            for index in 0..<context.streamCount {
                let stream = context.stream(index)
                if stream.pointee.codecpar?.pointee.codec_type == AVMEDIA_TYPE_AUDIO, !Self.hasCodecParameters(stream) {
                    _ = HeaderParameters.fill(stream, file: file)
                }
            }
        }
        var audioIndex = context.bestAudioStream()
        if context.usedExtensionHint, audioIndex.map({ !Self.hasCodecParameters(context.stream($0)) }) ?? true,
           let probed = try? FormatContext(path: path, useExtensionHint: false, skipInitialBytes: skip, input: libavInput) {
            // The extension's demuxer accepted the file but found no usable audio header: the
            // extension may lie (an M4A named .flac). Let libavformat look at the content.
            logger?.debug("probe: extension demuxer found no audio parameters, probing content", metadata: ["path": "\(path)"])
            context = probed
            audioIndex = context.bestAudioStream()
        }
        let container = context.containerName
        if audioIndex.map({ !Self.hasCodecParameters(context.stream($0)) }) ?? true {
            logger?.debug("probe: stream info missing, running avformat_find_stream_info", metadata: ["path": "\(path)"])
            try context.findStreamInfo()
            audioIndex = context.bestAudioStream()
        }
        guard let audioIndex else {
            throw MediaError(.noAudioStream, path: path.displayString, detail: "av_find_best_stream: no audio stream")
        }
        let stream = context.stream(audioIndex)
        guard Self.hasCodecParameters(stream) else {
            throw MediaError(.unsupportedFormat, path: path.displayString, detail: "codec parameters missing (sample rate or channels is 0)")
        }
        let parameters = stream.pointee.codecpar!.pointee
        let codec = String(cString: omni_codec_name(stream.pointee.codecpar))
        let sampleRate = Int(parameters.sample_rate)
        let channels = Int(omni_codecpar_channels(stream.pointee.codecpar))

        // Tags: libavformat's dictionaries first, then our own parsers where they do better.
        let isVorbisComment = container == "ogg" || container == "flac"
        var libavTags = RawTags(semicolonJoinsValues: isVorbisComment)
        libavTags.reserveCapacity(Int(av_dict_count(context.pointer.pointee.metadata) + av_dict_count(stream.pointee.metadata)))
        Self.collect(context.pointer.pointee.metadata, into: &libavTags)
        Self.collect(stream.pointee.metadata, into: &libavTags)

        var sources: [TrackTags] = []
        var fallbackPictures: [EmbeddedPicture] = []
        var mp3Duration: Int?
        if container == "mp3" {
            let hasID3v1 = file.size >= ID3v1Parser.size && file.read(at: file.size - ID3v1Parser.size, count: 3) == Array("TAG".utf8)
            let ape = APEv2Parser.read(file, hasID3v1: hasID3v1)
            let id3v1 = hasID3v1 ? ID3v1Parser.read(file) : nil
            // Priority: our ID3v2 > libavformat > APEv2 > ID3v1 (docs/decisions/0003-multi-value-tags.md).
            if let id3v2 { sources.append(TagNormalizer.normalize(id3v2.tags)) }
            sources.append(TagNormalizer.normalize(libavTags))
            if let ape {
                sources.append(TagNormalizer.normalize(ape.tags))
                warnings += ape.warnings
            }
            if let id3v1 { sources.append(TagNormalizer.normalize(id3v1)) }
            fallbackPictures = id3v2?.pictures ?? []
            let audioStart = id3v2?.totalSize ?? 0
            let audioEnd = file.size - (hasID3v1 ? ID3v1Parser.size : 0) - (ape?.size ?? 0)
            let duration = DurationRules.mp3DurationMs(file, audioStart: audioStart, audioEnd: audioEnd)
            mp3Duration = duration.ms
            if let warning = duration.warning { warnings.append(warning) }
        } else if container == "wav", let riff = RIFFLayout.read(file, includePictures: withArtwork) {
            // WAV: the first ID3 chunk and the first INFO list, read by us (libavformat keeps the
            // last of repeated ones and reads INFO text as raw bytes), then libavformat's reading.
            if let id3 = riff.id3 { sources.append(TagNormalizer.normalize(id3.tags)) }
            if let info = riff.info { sources.append(TagNormalizer.normalize(info.tags)) }
            sources.append(TagNormalizer.normalize(libavTags))
            fallbackPictures = riff.id3?.pictures ?? []
            warnings += riff.warnings
        } else if let ownSource {
            // Ours first: libavformat read the file without these tags (at most an Ogg vendor
            // string or the MP4 items that were not hidden).
            sources.append(TagNormalizer.normalize(ownSource.tags))
            sources.append(TagNormalizer.normalize(libavTags))
            if let id3v2 { sources.append(TagNormalizer.normalize(id3v2.tags)) }
            fallbackPictures = ownSource.pictures.isEmpty ? (id3v2?.pictures ?? []) : ownSource.pictures
        } else {
            sources.append(TagNormalizer.normalize(libavTags))
            // Another format behind an ID3v2 tag (AAC, FLAC, TTA...): libavformat's reading of
            // it comes first; ours fills the gaps, and is the only one when the tag was skipped.
            if let id3v2 {
                sources.append(TagNormalizer.normalize(id3v2.tags))
                fallbackPictures = id3v2.pictures
            }
        }
        let tags = TagNormalizer.finish(TagNormalizer.merge(sources), fileName: path)
        if container == "flac", let comments = flacLayout?.blocks.filter({ $0.type == FLACLayout.vorbisComment }).count, comments > 1 {
            // The format allows one; readers differ (TagLib keeps the first, libavformat and we
            // read all, mutagen refuses the file), so the user is told (decision 0034).
            warnings.append(ProbeWarning(.tagDamaged, "FLAC metadata: \(comments) VORBIS_COMMENT blocks where the format allows one; the values of all were read"))
        }

        // Always looked at (the bytes are already in memory), so `hasArtwork` is right either way.
        let picture = Self.artwork(context, fallback: fallbackPictures)
        let artwork = withArtwork ? picture : nil

        // Identity last: reading packets moves the demuxer past the header.
        for index in 0..<context.streamCount where index != audioIndex {
            context.stream(index).pointee.discard = AVDISCARD_ALL
        }
        let uid = try AudioIdentity.compute(context, streamIndex: audioIndex, codec: codec, sampleRate: sampleRate, channels: channels)

        var durationMs = mp3Duration ?? DurationRules.streamDurationMs(stream, context: context.pointer)
        if durationMs == nil, codec == "wavpack", sampleRate > 0, let samples = DurationRules.wavPackSamples(file) {
            durationMs = Int(CheckedArithmetic.clampedProduct(samples, 1000) / Int64(sampleRate))
            warnings.append(ProbeWarning(.durationFromStream, "WavPack without a stored length: the duration was read from its last block"))
        }
        if let durationMs, durationMs > DurationRules.maximumMs {
            throw MediaError(.outOfRange, path: path.displayString,
                             detail: "the header declares \(durationMs) ms, longer than \(DurationRules.maximumMs / 86_400_000) days")
        }
        var bitrate = parameters.bit_rate > 0 ? Int(parameters.bit_rate) : (context.pointer.pointee.bit_rate > 0 ? Int(context.pointer.pointee.bit_rate) : nil)
        if parameters.bit_rate <= 0, Self.tagsAroundAudio.contains(container), let durationMs, durationMs > 0 {
            // libavformat's estimate divides the whole file by the length: tags, cover art and
            // FLAC padding counted as audio. The audio is from the first frame (after a leading
            // ID3v2 tag or the FLAC metadata) to the trailing APEv2 and ID3v1 tags.
            let audioStart = container == "flac" ? (flacLayout?.audioStart ?? start) : start
            let audioBytes = file.size - audioStart - Self.trailingTagBytes(file)
            if audioBytes > 0 { bitrate = Int(CheckedArithmetic.clampedProduct(Int64(audioBytes), 8000) / Int64(durationMs)) }
        }
        if container == "ogg", let durationMs, durationMs > 0, let audioStart = OggLayout.audioStart(file, start: start),
           file.size > audioStart {
            // Ogg: the stream's bytes after its header packets over its length (as TagLib). The
            // Vorbis header's nominal rate is the encoder's target, not what a VBR stream holds,
            // and libavformat's estimate for Ogg FLAC and Opus counts the comment and cover art.
            bitrate = Int(CheckedArithmetic.clampedProduct(Int64(file.size - audioStart), 8000) / Int64(durationMs))
        }
        if bitrate == nil, let durationMs, durationMs > 0, let io = context.pointer.pointee.pb, avio_size(io) > 0 {
            bitrate = Int(CheckedArithmetic.clampedProduct(avio_size(io), 8000) / Int64(durationMs))
        }
        // WavPack: the channels its first block declares (FFmpeg 5.1 reports a 4-channel file
        // whose mask names one speaker as mono). The identity above keeps libavformat's count.
        let declaredChannels = codec == "wavpack" ? WavPackBlock.channels(file, start: start) ?? channels : channels
        let audio = AudioProperties(
            codec: codec, container: container, durationMs: durationMs, sampleRate: sampleRate, channels: declaredChannels,
            bitsPerSample: Self.bitsPerSample(codec: codec, parameters), bitrate: bitrate)
        var result = ProbeResult(uid: uid, tags: tags, audio: audio, artwork: artwork, hasArtwork: picture != nil)
        result.warnings = warnings
        return result
    }

    /// Containers of one raw stream between optional tags, whose bit rate libavformat estimates
    /// from the whole file's size: theirs is recomputed from the audio bytes alone.
    private static let tagsAroundAudio: Set<String> = ["flac", "ape", "wv", "mpc", "mpc8", "tta"]

    /// Bytes of the ID3v1 tag and the APEv2 tag (footer, items, header) at the end of `file`.
    private static func trailingTagBytes(_ file: FileReader) -> Int {
        let hasID3v1 = file.size >= ID3v1Parser.size && file.read(at: file.size - ID3v1Parser.size, count: 3) == Array("TAG".utf8)
        let end = file.size - (hasID3v1 ? ID3v1Parser.size : 0)
        var bytes = hasID3v1 ? ID3v1Parser.size : 0
        if end >= APEv2Parser.footerSize, let ape = APEv2Parser.footerLayout(file.read(at: end - APEv2Parser.footerSize, count: APEv2Parser.footerSize)),
           ape.tagSize <= end {
            bytes += ape.tagSize + (ape.hasHeader ? APEv2Parser.footerSize : 0)
        }
        return min(bytes, file.size)
    }

    /// True when the stream knows its codec, sample rate and channel count without analysis.
    private static func hasCodecParameters(_ stream: UnsafeMutablePointer<AVStream>) -> Bool {
        let parameters = stream.pointee.codecpar
        guard let parameters else { return false }
        return parameters.pointee.codec_id != AV_CODEC_ID_NONE && parameters.pointee.sample_rate > 0
            && omni_codecpar_channels(parameters) > 0
    }

    /// Appends every entry of an `AVDictionary` (repeated keys included) to `tags`.
    private static func collect(_ dictionary: OpaquePointer?, into tags: inout RawTags) {
        guard let dictionary else { return }
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let next = av_dict_get(dictionary, "", entry, AV_DICT_IGNORE_SUFFIX) {
            if let key = next.pointee.key, let value = next.pointee.value {
                tags.add(String(cString: key), String(cString: value))
            }
            entry = next
        }
    }

    /// The embedded front cover: an attached picture whose tag says "Cover (front)", else the
    /// largest attached picture; our ID3v2 parser's APIC frames when libavformat found none.
    private static func artwork(_ context: FormatContext, fallback: [EmbeddedPicture]) -> ArtworkImage? {
        var best: (front: Bool, data: [UInt8])?
        for index in 0..<context.streamCount {
            let stream = context.stream(index)
            guard stream.pointee.disposition & 0x400 != 0, // AV_DISPOSITION_ATTACHED_PIC
                  let data = stream.pointee.attached_pic.data, stream.pointee.attached_pic.size > 0 else { continue }
            let comment = av_dict_get(stream.pointee.metadata, "comment", nil, 0).map { String(cString: $0.pointee.value) }
            let front = comment?.lowercased() == "cover (front)"
            if let current = best, current.front || (!front && current.data.count >= Int(stream.pointee.attached_pic.size)) { continue }
            best = (front, Array(UnsafeBufferPointer(start: data, count: Int(stream.pointee.attached_pic.size))))
        }
        if best == nil, !fallback.isEmpty {
            let chosen = fallback.first(where: { $0.pictureType == 3 }) ?? fallback.max(by: { $0.data.count < $1.data.count })!
            best = (chosen.pictureType == 3, chosen.data)
        }
        guard let best, let mime = ImageSniffer.mimeType(of: best.data) else { return nil }
        return ArtworkImage(mimeType: mime, data: best.data)
    }

    /// Bits per sample where it describes the audio (lossless and PCM), nil for lossy codecs.
    private static func bitsPerSample(codec: String, _ parameters: AVCodecParameters) -> Int? {
        let lossless = codec.hasPrefix("pcm_") || ["flac", "alac", "wavpack", "ape", "tta", "truehd", "mlp"].contains(codec)
        guard lossless else { return nil }
        if parameters.bits_per_raw_sample > 0 { return Int(parameters.bits_per_raw_sample) }
        if parameters.bits_per_coded_sample > 0 { return Int(parameters.bits_per_coded_sample) }
        return nil
    }
}
