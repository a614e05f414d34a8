import CFFmpeg
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
        /// The header declares a size or length no real file has (an RF64 `ds64` sample count of
        /// 2^62, a duration of centuries): the file is refused rather than trusted.
        case outOfRange = "media.out_of_range"
        /// The file opened but its audio could not be decoded (or seeked) any further.
        case undecodable = "media.undecodable"
        /// libswresample refused a conversion between two PCM formats.
        case unconvertible = "media.unconvertible"
    }

    /// Why the file could not be read.
    public var reason: Reason
    /// The file's path as text (for messages only).
    public var path: String
    /// The C call that failed and FFmpeg's message, for the log.
    public var detail: String

    /// Creates an error from its parts.
    public init(_ reason: Reason, path: String, detail: String) {
        self.reason = reason
        self.path = path
        self.detail = detail
    }

    /// Creates an error from a failing FFmpeg call and its (negative) return code, converting the
    /// code to FFmpeg's message with `av_strerror`.
    init(_ reason: Reason, path: String, call: String, status: Int32) {
        self.init(reason, path: path, detail: "\(call): \(MediaError.message(for: status)) (\(status))")
    }

    /// FFmpeg's text for an AVERROR code.
    static func message(for status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(omni_av_error_max_string_size()))
        if av_strerror(status, &buffer, buffer.count) < 0 { return "unknown error" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The stable code, e.g. `media.unreadable`.
    public var code: String { reason.rawValue }

    /// A message fit for the user.
    public var description: String {
        switch reason {
        case .unreadable: "cannot open \(path)"
        case .unsupportedFormat: "not a readable audio file: \(path)"
        case .noAudioStream: "no audio stream in \(path)"
        case .outOfRange: "impossible length in the header of \(path)"
        case .undecodable: "cannot decode \(path)"
        case .unconvertible: "cannot convert the audio of \(path)"
        }
    }

    /// The message plus the failing call and FFmpeg's message.
    public var expandedDescription: String { "\(description) (\(detail))" }
}
