import LocalStore
import MediaIO
import OmniModel

/// Everything that can go wrong playing: the device, a file, the library.
///
/// Playback errors never stop the daemon: the player puts `description` in its state's `error`
/// and waits for the next command. C return codes (ALSA's negative errno, FFmpeg's AVERROR)
/// are converted once, in the wrapper that made the call, with the call's name in `detail`.
public struct PlayerError: OmniError, Equatable {
    public enum Reason: String, Sendable {
        /// The output device does not exist or cannot be opened.
        case deviceUnavailable = "player.device_unavailable"
        /// Another program holds the device.
        case deviceBusy = "player.device_busy"
        /// The device accepts none of the formats we can produce.
        case deviceFormat = "player.device_format"
        /// Writing to the device failed and could not be recovered (the device vanished).
        case deviceFailed = "player.device_failed"
        /// A track's file cannot be opened or decoded.
        case decode = "player.decode"
        /// The track is not in the library (or has no file).
        case trackMissing = "player.track_missing"
        /// A queue edit names an index or entry that does not exist.
        case badRequest = "player.bad_request"
        /// An output device name that is neither listed by ALSA nor configured by the user
        /// (`Player.setOutput`): the client's mistake, never shown to alsa-lib.
        case deviceRefused = "player.device_refused"
        /// The library failed.
        case store = "player.store"
    }

    public var reason: Reason
    public var message: String
    public var detail: String

    public init(_ reason: Reason, message: String, detail: String = "") {
        self.reason = reason
        self.message = message
        self.detail = detail
    }

    /// A library failure, as `.store` with the store error's message and detail.
    public init(_ error: StoreError) {
        self.init(.store, message: error.description, detail: error.expandedDescription)
    }

    /// A file that cannot be opened or decoded, as `.decode` with MediaIO's message and detail
    /// (one error text for every reader of audio).
    public init(_ error: MediaError) {
        self.init(.decode, message: error.description, detail: error.expandedDescription)
    }

    public var code: String { reason.rawValue }
    public var description: String { message }
    public var expandedDescription: String { detail.isEmpty ? message : "\(message) (\(detail))" }
}
