import CFFmpeg
import Logging
import Synchronization

/// Where libavformat's own log messages go.
///
/// FFmpeg logs through one process-wide callback (`av_log_set_callback`) that cannot carry a
/// context pointer, so the destination is necessarily global: this is the one piece of global
/// mutable state in MediaIO, a `Mutex`-protected `Logger?`. Call `route(to:)` once at start-up
/// (and in tests); until then FFmpeg prints to standard error as it does by default.
///
/// Levels: FFmpeg errors become `.notice` and warnings `.debug` (a music library is full of
/// slightly broken files, and the caller already gets a `MediaError` for files that fail);
/// FFmpeg's info and chattier levels are dropped before formatting (in the C trampoline, because
/// Swift cannot define a C function that takes a `va_list`).
public enum FFmpegLogging {
    private static let destination = Mutex<Logger?>(nil)

    /// Sends FFmpeg's messages to `logger`, or silences them when `logger` is nil.
    ///
    /// Thread-safe; the callback itself is installed on every call (a plain pointer store in
    /// FFmpeg), so calling it twice is harmless.
    public static func route(to logger: Logger?) {
        destination.withLock { $0 = logger }
        omni_log_set_sink(ffmpegLogSink)
    }

    fileprivate static func emit(level: Int32, line: String) {
        guard let logger = destination.withLock({ $0 }) else { return }
        let mapped: Logger.Level = level <= AV_LOG_FATAL ? .error : (level <= AV_LOG_ERROR ? .notice : .debug)
        logger.log(level: mapped, "\(line)", metadata: ["ffmpeg.level": "\(level)"])
    }
}

/// The sink the C trampoline (`omni_log_trampoline` in shim.h) calls with a formatted line.
private let ffmpegLogSink: @convention(c) (Int32, UnsafePointer<CChar>?) -> Void = { level, line in
    guard let line else { return }
    let text = String(cString: line).trimmingSpaces
    guard !text.isEmpty else { return }
    FFmpegLogging.emit(level: level, line: text)
}
