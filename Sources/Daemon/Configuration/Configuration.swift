import Foundation
import Logging
import OmniModel
import Player

/// Everything `omnisonicd run` needs to know before it starts, resolved and validated.
///
/// A value is built by `Configuration.resolve(_:environment:)` from layers in precedence order:
/// command-line flags, then environment variables, then (the service issue) the config file,
/// then defaults that follow the XDG base directory rules. Each layer is a
/// `ConfigurationLayer` of raw settings with their origin ("--listen", "OMNISONIC_LISTEN",
/// "config.toml key listen"), so an error always names the key and where the bad value came
/// from. Nothing here is global: the daemon passes this value to the services it starts.
public struct Configuration: Sendable, Equatable {
    /// Music folders, absolute paths, in order (imports go into the first one).
    public var music: [String]
    /// The library folder (database, lock file), absolute.
    public var data: String
    /// The cache folder (artwork), absolute.
    public var cache: String
    /// Where the HTTP server listens.
    public var listen: ListenAddress
    /// The access token clients must present; required on a non-loopback address.
    public var token: String?
    /// The folder of the browser app (`web/`), when one is served.
    public var web: String?
    /// The largest accepted upload, in bytes (one file of `POST /api/import`).
    public var maxUploadBytes: Int64
    /// The least severe log level written.
    public var logLevel: Logger.Level
    /// The sync server (`http://host:port` or `https://…`); nil: no sync (decision 0013).
    public var syncURL: String?
    /// This device's token on the sync server (`omnisonicd sync-server add-device`).
    public var syncToken: String?
    /// The ALSA device the player writes to.
    public var output: String
    /// Which ReplayGain the player applies.
    public var replayGain: ReplayGainMode
    /// The HTTP server's idle/header timeout and connection cap (`idle-timeout`, `max-connections`;
    /// the cap is lowered at start to fit the descriptor limit).
    public var connections = ConnectionLimits()
    /// `GET /api/events` streams open at once (`max-event-streams`).
    public var maxEventStreams = 64
    /// The largest whole upload request, in bytes (`max-upload-total`).
    public var maxUploadTotalBytes: Int64 = 4 << 30
    /// Where MPD clients connect (empty: the MPD front door is off).
    public var mpdListen: [MPDListenAddress] = []
    /// True when `mpdListen` is the default (not asked for): an address already in use is then
    /// a warning (another MPD, a second test daemon), not a reason to stop.
    public var mpdListenIsDefault = true
    /// The password MPD clients give with `password`; required when an MPD address is not loopback.
    public var mpdPassword: String?
    /// The OpenSubsonic user's name (`[subsonic] user`); nil: the login name (`defaultSubsonicUser`).
    public var subsonicUser: String?
    /// Whether the music is analysed in the background (`analysis`; default true).
    public var analysis = true

    /// The login name (`$USER`, else the password database's), the default Subsonic user.
    public static var defaultSubsonicUser: String {
        if let name = ProcessInfo.processInfo.environment["USER"], !name.isEmpty { return name }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "omnisonic"
    }

    /// The library database: `<data>/library.sqlite`.
    public var database: String { data + "/library.sqlite" }
    /// The artwork cache: `<cache>/artwork`.
    public var artwork: String { cache + "/artwork" }

    /// The default listening address: loopback only.
    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 6690)
    /// The default output: ALSA's `default` device (a `plug` that converts what the card lacks).
    public static let defaultOutput = "default"
    /// The default upload limit: 1 GiB (a long lossless recording fits).
    public static let defaultMaxUploadBytes: Int64 = 1 << 30

    public init(music: [String], data: String, cache: String, listen: ListenAddress = Configuration.defaultListen,
                token: String? = nil, web: String? = nil, maxUploadBytes: Int64 = Configuration.defaultMaxUploadBytes,
                logLevel: Logger.Level = .info, syncURL: String? = nil, syncToken: String? = nil,
                output: String = Configuration.defaultOutput, replayGain: ReplayGainMode = .off) {
        self.music = music
        self.data = data
        self.cache = cache
        self.listen = listen
        self.token = token
        self.web = web
        self.maxUploadBytes = maxUploadBytes
        self.logLevel = logLevel
        self.syncURL = syncURL
        self.syncToken = syncToken
        self.output = output
        self.replayGain = replayGain
    }
}

/// A host and port to listen on: the type lives in OmniModel with the bound port
/// (`ListenAddress.Bound`); this name keeps code that imports only Daemon compiling.
public typealias ListenAddress = OmniModel.ListenAddress

/// Where the MPD front door listens: a TCP address or a Unix socket.
public enum MPDListenAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(ListenAddress)
    /// An absolute socket path.
    case unix(String)

    /// The default TCP address: MPD's port, loopback only.
    public static let defaultTCP = MPDListenAddress.tcp(ListenAddress(host: "127.0.0.1", port: 6600))

    /// True for a loopback address or a socket: only this computer can connect.
    public var isLocal: Bool {
        switch self {
        case .tcp(let address): address.isLoopback
        case .unix: true
        }
    }

    /// `host:port` or the socket's path.
    public var description: String {
        switch self {
        case .tcp(let address): address.description
        case .unix(let path): path
        }
    }
}
