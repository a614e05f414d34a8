import OmniModel

/// Everything that can go wrong reading an audio file.
///
/// C return codes are converted here once; `expandedDescription` keeps the failing call and
/// FFmpeg's own message for the log.
public struct MediaError: OmniError, Equatable {
    /// Stable reasons, usable as error codes.
    public enum Reason: String, Sendable {
        /// The file could not be opened (missing, permission denied, a directory...).
        case unreadable = "media.unreadable"
        /// The bytes are not a format we can read (garbage, empty, truncated header).
        case unsupportedFormat = "media.unsupported_format"
        /// The container opened but holds no audio stream.
        case noAudioStream = "media.no_audio_stream"
    }

    public var reason: Reason
    /// The file's path as text (for messages only).
    public var path: String
    /// The C call that failed and FFmpeg's message, for the log.
    public var detail: String

    public init(_ reason: Reason, path: String, detail: String) {
        self.reason = reason
        self.path = path
        self.detail = detail
    }

    public var code: String { reason.rawValue }

    public var description: String {
        switch reason {
        case .unreadable: "cannot open \(path)"
        case .unsupportedFormat: "not a readable audio file: \(path)"
        case .noAudioStream: "no audio stream in \(path)"
        }
    }

    public var expandedDescription: String { "\(description) (\(detail))" }
}
