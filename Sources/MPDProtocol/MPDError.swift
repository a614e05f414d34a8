import OmniModel

/// An MPD protocol error: the `ACK [code@index] {command} message` line a command answers
/// with when it fails. The codes are MPD's (`src/protocol/Ack.hxx`); clients switch on them.
public struct MPDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// MPD's error codes.
    public enum Code: Int, Sendable {
        case notList = 1
        /// A bad or missing argument.
        case arg = 2
        case password = 3
        case permission = 4
        /// An unknown command.
        case unknown = 5
        /// A song, playlist, directory or picture that does not exist.
        case noExist = 50
        case playlistMax = 51
        /// The daemon failed (the library could not be read or written).
        case system = 52
        case playlistLoad = 53
        case updateAlready = 54
        case playerSync = 55
        /// A name that is already taken.
        case exist = 56
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The one table from the daemon's error kinds (decision 0025) to MPD's codes: what every
    /// module's error becomes when a command fails with it. Nothing is derived from an error's
    /// text or code string.
    ///
    /// - notFound: `[50]` (no such song, playlist, directory, track);
    /// - invalid: `[2]` (a bad argument: a value out of range, a name too long);
    /// - denied: `[4]` (permission);
    /// - conflict: `[56]` (already exists: MPD's `exist`);
    /// - busy, unavailable, full, internal: `[52]` (the daemon failed; MPD's `system`). MPD's
    ///   `[54] update_already` is not a kind: `update` here never refuses, it queues.
    static func ack(for kind: ErrorKind) -> Code {
        switch kind {
        case .notFound: .noExist
        case .invalid: .arg
        case .denied: .permission
        case .conflict: .exist
        case .busy, .unavailable, .full, .internal: .system
        }
    }

    static func arg(_ message: String) -> MPDError { MPDError(.arg, message) }
    static func noExist(_ message: String) -> MPDError { MPDError(.noExist, message) }
    static func system(_ message: String) -> MPDError { MPDError(.system, message) }

    /// The ACK line for the command at `index` of a command list (0 outside one), with its newline.
    public func ack(index: Int, command: String) -> String {
        "ACK [\(code.rawValue)@\(index)] {\(command)} \(message)\n"
    }

    public var description: String { "[\(code.rawValue)] \(message)" }
}
