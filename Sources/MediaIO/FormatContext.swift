import CFFmpeg
import Glibc
import OmniModel

/// The one owner of an `AVFormatContext`: opens it, answers questions about it, and closes it in
/// `deinit`, so every exit path (success, thrown error) frees the demuxer exactly once.
///
/// Not `Sendable`: libavformat contexts are safe to use from one thread at a time; a
/// `FormatContext` lives inside one `TagReader.probe` call or one `AudioDecoder`.
final class FormatContext {
    /// The open demuxer. Valid until `deinit`.
    let pointer: UnsafeMutablePointer<AVFormatContext>
    /// Text of the path, for error messages only.
    let displayPath: String
    /// The deadline (CLOCK_MONOTONIC nanoseconds) the interrupt callback checks; heap-allocated
    /// because libavformat keeps a raw pointer to it for the context's whole life.
    private let deadline: UnsafeMutablePointer<UInt64>

    /// How long one file may keep libavformat busy before blocking calls are interrupted. A music
    /// file is opened in well under a millisecond; this only stops pathological inputs (a FIFO, a
    /// dead network mount, a demuxer spinning on crafted data) from hanging an indexer thread.
    static let timeLimitNanoseconds: UInt64 = 5_000_000_000

    /// True when the demuxer was chosen from the extension rather than by content probing.
    let usedExtensionHint: Bool
    /// The file libavformat reads instead of opening the path, and the `AVIOContext` over it
    /// (ours to free: libavformat does not close a caller's I/O).
    private let input: PatchedInput?
    private let customIO: UnsafeMutablePointer<AVIOContext>?

    /// Opens `path`, trying the demuxer its extension names first (no content probing), then
    /// falling back to libavformat's content probing.
    /// - Parameter useExtensionHint: false forces content probing (used when the extension lied:
    ///   an M4A named `.flac` opens as FLAC without a STREAMINFO).
    /// - Throws: `MediaError` with the failing call's name and FFmpeg's message.
    /// - Parameter skipInitialBytes: bytes at the start libavformat must not read (an ID3v2 tag
    ///   over `TagLimits`, which our parser has read within them instead).
    /// - Parameter input: what libavformat reads instead of opening `path` itself: the probe's
    ///   already open file, whole or with a repaired header or patched bytes (`PatchedInput`).
    init(path: RawPath, useExtensionHint: Bool = true, skipInitialBytes: Int = 0, input: PatchedInput? = nil) throws(MediaError) {
        displayPath = path.displayString
        self.input = input
        // Only regular files: opening a FIFO blocks in open(2) until a writer appears, where no
        // interrupt callback can reach, and a device or socket is never music. An `input` is
        // read from a descriptor `FileReader` has already checked.
        if input == nil {
            var info = stat()
            let statStatus = path.withCString { stat($0, &info) }
            if statStatus != 0 {
                throw MediaError(.unreadable, path: path.displayString, call: "stat", status: omni_averror(errno))
            }
            if (info.st_mode & S_IFMT) != S_IFREG {
                throw MediaError(.unreadable, path: path.displayString, detail: "stat: not a regular file")
            }
        }
        deadline = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        deadline.initialize(to: FormatContext.monotonicNow() &+ FormatContext.timeLimitNanoseconds)
        input?.deadline = deadline.pointee
        let hint = useExtensionHint ? FormatContext.demuxerName(forExtension: path.lowercasedExtension) : nil
        var opened: UnsafeMutablePointer<AVFormatContext>?
        var io: UnsafeMutablePointer<AVIOContext>?
        var status: Int32 = 0
        if let hint, let format = FormatContext.demuxers.format(named: hint) {
            (opened, io, status) = FormatContext.open(path, format: format, deadline: deadline, skip: skipInitialBytes, input: input)
        }
        usedExtensionHint = opened != nil
        if opened == nil {
            (opened, io, status) = FormatContext.open(path, format: nil, deadline: deadline, skip: skipInitialBytes, input: input)
        }
        customIO = io
        guard let opened else {
            deadline.deallocate()
            let reason: MediaError.Reason =
                (status == omni_averror(ENOENT) || status == omni_averror(EACCES) || status == omni_averror(EISDIR))
                ? .unreadable : .unsupportedFormat
            throw MediaError(reason, path: path.displayString, call: "avformat_open_input", status: status)
        }
        pointer = opened
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&context)
        FormatContext.free(customIO)
        deadline.deallocate()
    }

    /// Gives the next blocking call a fresh `timeLimitNanoseconds`. A decoder reads one file for
    /// minutes: it renews the deadline before each packet read or seek, so the limit bounds one
    /// stalled call (a dead mount), not the whole playback.
    func renewDeadline() {
        deadline.pointee = FormatContext.monotonicNow() &+ FormatContext.timeLimitNanoseconds
        input?.deadline = deadline.pointee
    }

    /// Frees a custom `AVIOContext` and its buffer (which libavformat may have replaced).
    private static func free(_ io: UnsafeMutablePointer<AVIOContext>?) {
        guard let io else { return }
        av_freep(&io.pointee.buffer)
        var optional: UnsafeMutablePointer<AVIOContext>? = io
        avio_context_free(&optional)
    }

    /// One `avformat_open_input` attempt on a fresh context (a failed open frees the context).
    private static func open(
        _ path: RawPath, format: UnsafePointer<AVInputFormat>?, deadline: UnsafeMutablePointer<UInt64>, skip: Int,
        input: PatchedInput?
    ) -> (UnsafeMutablePointer<AVFormatContext>?, UnsafeMutablePointer<AVIOContext>?, Int32) {
        guard var context = avformat_alloc_context() else { return (nil, nil, omni_averror(ENOMEM)) }
        var io: UnsafeMutablePointer<AVIOContext>?
        if let input {
            input.rewind()
            let bufferSize = 1 << 15
            guard let buffer = av_malloc(bufferSize)?.assumingMemoryBound(to: UInt8.self),
                  let made = avio_alloc_context(buffer, Int32(bufferSize), 0, Unmanaged.passUnretained(input).toOpaque(),
                                                patchedRead, nil, patchedSeek) else {
                avformat_free_context(context)
                return (nil, nil, omni_averror(ENOMEM))
            }
            io = made
            context.pointee.pb = made
            context.pointee.flags |= 0x0080 // AVFMT_FLAG_CUSTOM_IO
        }
        context.pointee.interrupt_callback = AVIOInterruptCB(callback: interruptCallback, opaque: UnsafeMutableRawPointer(deadline))
        // Bound content probing and stream analysis: tags and codec parameters are near the start.
        context.pointee.probesize = 1 << 20
        context.pointee.format_probesize = 1 << 18
        context.pointee.max_analyze_duration = Int64(omni_av_time_base())
        // avformat_open_input skips these before it reads an ID3v2 tag or the format's header.
        context.pointee.skip_initial_bytes = Int64(skip)
        var optional: UnsafeMutablePointer<AVFormatContext>? = context
        let status = path.withCString { avformat_open_input(&optional, $0, format, nil) }
        guard status >= 0, let done = optional else {
            free(io)
            return (nil, nil, status)
        }
        context = done
        return (context, io, status)
    }

    /// libavformat's demuxers for the names `demuxerName` gives, looked up once:
    /// `av_find_input_format` walks the whole demuxer list comparing names, which was about 1 %
    /// of a scan's CPU done once per probe (decision 0037).
    static let demuxers = Demuxers(names: ["mp3", "flac", "ogg", "mov", "aac", "wav", "aiff", "wv", "ape", "mpc",
                                           "asf", "dsf", "tta", "matroska"])

    /// Demuxer descriptions by short name. They are libavformat's static, immutable tables, so
    /// the pointers are valid for the life of the process and safe to share between threads.
    struct Demuxers: @unchecked Sendable {
        private let byName: [String: UnsafePointer<AVInputFormat>]

        init(names: [String]) {
            var byName: [String: UnsafePointer<AVInputFormat>] = [:]
            for name in names { byName[name] = av_find_input_format(name) }
            self.byName = byName
        }

        /// The demuxer called `name`; a name not looked up in advance is looked up now.
        func format(named name: String) -> UnsafePointer<AVInputFormat>? {
            byName[name] ?? av_find_input_format(name)
        }
    }

    /// The libavformat demuxer for a lowercase extension, or nil to let libavformat probe.
    static func demuxerName(forExtension ext: String) -> String? {
        switch ext {
        case "mp3", "mp2": "mp3"
        case "flac": "flac"
        case "ogg", "oga", "opus", "spx": "ogg"
        case "m4a", "m4b", "mp4", "alac": "mov"
        case "aac": "aac"
        case "wav", "wave": "wav"
        case "aif", "aiff", "aifc": "aiff"
        case "wv": "wv"
        case "ape": "ape"
        case "mpc": "mpc"
        case "wma": "asf"
        case "dsf": "dsf"
        case "tta": "tta"
        case "mka", "webm": "matroska"
        default: nil
        }
    }

    static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// The short demuxer name ("mp3", "ogg", "mov,mp4,m4a,3gp,3g2,mj2").
    var containerName: String {
        guard let name = pointer.pointee.iformat?.pointee.name else { return "" }
        return String(cString: name)
    }

    var streamCount: Int { Int(pointer.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        pointer.pointee.streams[index]!
    }

    /// The best audio stream's index, or nil.
    func bestAudioStream() -> Int? {
        let index = av_find_best_stream(pointer, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0)
        return index >= 0 ? Int(index) : nil
    }

    /// Runs `avformat_find_stream_info` (the slow path: it decodes a little of every stream).
    func findStreamInfo() throws(MediaError) {
        let status = avformat_find_stream_info(pointer, nil)
        if status < 0 {
            throw MediaError(.unsupportedFormat, path: displayPath, call: "avformat_find_stream_info", status: status)
        }
    }
}

/// Tells libavformat to abort blocking work once the context's deadline has passed.
private let interruptCallback: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { opaque in
    guard let opaque else { return 0 }
    let deadline = opaque.assumingMemoryBound(to: UInt64.self).pointee
    return FormatContext.monotonicNow() > deadline ? 1 : 0
}
