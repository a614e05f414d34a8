import Foundation

/// The settings of a configuration, by name: the same names in every layer.
///
/// The raw value is the config file's key; flags are `--<raw value>`; environment variables
/// are listed in `environmentVariable`.
public enum ConfigurationKey: String, Sendable, CaseIterable, Hashable {
    case music
    case data
    case cache
    case listen
    case token
    case web
    case maxUploadSize = "max-upload-size"
    case logLevel = "log-level"
    case syncURL = "sync-url"
    case syncToken = "sync-token"
    /// The player's ALSA device.
    case output
    /// ReplayGain: off, track or album.
    case replayGain = "replaygain"
    /// Seconds a connection may take to send a request head, or stay idle (the HTTP server's limits).
    case idleTimeout = "idle-timeout"
    /// Connections the HTTP server serves at once.
    case maxConnections = "max-connections"
    /// `GET /api/events` streams open at once.
    case maxEventStreams = "max-event-streams"
    /// The largest whole upload request (all its files).
    case maxUploadTotal = "max-upload-total"
    /// Where MPD clients connect (repeatable: `HOST:PORT`, a socket path, or `off`).
    case mpdListen = "mpd-listen"
    /// The password MPD clients give (`password`); required when an MPD address is not loopback.
    case mpdPassword = "mpd-password"
    /// The OpenSubsonic user's name (`[subsonic] user` in the file; default: the login name).
    case subsonicUser = "subsonic-user"
    /// Background analysis of the music (tempo, key, loudness, fingerprint): true or false.
    case analysis

    /// The environment variable that sets this key.
    public var environmentVariable: String {
        switch self {
        case .music: "OMNISONIC_MUSIC"
        case .data: "OMNISONIC_DATA"
        case .cache: "OMNISONIC_CACHE"
        case .listen: "OMNISONIC_LISTEN"
        case .token: "OMNISONIC_TOKEN"
        case .web: "OMNISONIC_WEB"
        case .maxUploadSize: "OMNISONIC_MAX_UPLOAD_SIZE"
        case .logLevel: "OMNISONIC_LOG_LEVEL"
        case .syncURL: "OMNISONIC_SYNC_URL"
        case .syncToken: "OMNISONIC_SYNC_TOKEN"
        case .output: "OMNISONIC_OUTPUT"
        case .replayGain: "OMNISONIC_REPLAYGAIN"
        case .idleTimeout: "OMNISONIC_IDLE_TIMEOUT"
        case .maxConnections: "OMNISONIC_MAX_CONNECTIONS"
        case .maxEventStreams: "OMNISONIC_MAX_EVENT_STREAMS"
        case .maxUploadTotal: "OMNISONIC_MAX_UPLOAD_TOTAL"
        case .mpdListen: "OMNISONIC_MPD_LISTEN"
        case .mpdPassword: "OMNISONIC_MPD_PASSWORD"
        case .subsonicUser: "OMNISONIC_SUBSONIC_USER"
        case .analysis: "OMNISONIC_ANALYSIS"
        }
    }

    /// The command-line flag that sets this key.
    public var flag: String { "--" + rawValue }
}

/// One raw setting as a source gave it, before parsing and validation.
public struct ConfigurationSetting: Sendable, Equatable {
    /// Text settings have one element; `music` may have several.
    public var values: [String]
    /// Where it came from, for error messages: `--listen`, `OMNISONIC_LISTEN`,
    /// `config.toml key "listen"`.
    public var origin: String
    /// The folder relative paths are taken against (the working directory for flags and
    /// environment, the config file's folder for the file); nil leaves them as they are.
    public var baseDirectory: String?

    public init(values: [String], origin: String, baseDirectory: String? = nil) {
        self.values = values
        self.origin = origin
        self.baseDirectory = baseDirectory
    }
}

/// The settings one source provides: the command line, the environment, a config file.
///
/// Layers are resolved in order, the first that sets a key wins (see `Configuration.resolve`).
/// A new source (the TOML config file of the service issue) only has to produce one of these.
public struct ConfigurationLayer: Sendable, Equatable {
    /// The source's name ("command line", "environment", the config file's path).
    public var name: String
    public var settings: [ConfigurationKey: ConfigurationSetting]

    public init(name: String, settings: [ConfigurationKey: ConfigurationSetting] = [:]) {
        self.name = name
        self.settings = settings
    }

    /// Sets `key` (a flag or a single text value).
    public mutating func set(_ key: ConfigurationKey, _ values: [String], origin: String, baseDirectory: String? = nil) {
        settings[key] = ConfigurationSetting(values: values, origin: origin, baseDirectory: baseDirectory)
    }

    /// The layer of `OMNISONIC_*` variables. `OMNISONIC_MUSIC` is a colon-separated list (like
    /// `PATH`); empty variables count as unset, empty list entries are dropped.
    public static func environment(_ environment: [String: String], workingDirectory: String) -> ConfigurationLayer {
        var layer = ConfigurationLayer(name: "environment")
        for key in ConfigurationKey.allCases {
            guard let value = environment[key.environmentVariable], !value.isEmpty else { continue }
            // MPD addresses are comma-separated (`[::1]:6600` and socket paths hold colons).
            let values = key == .music ? value.split(separator: ":").map(String.init)
                : key == .mpdListen ? value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : [value]
            layer.set(key, values, origin: key.environmentVariable, baseDirectory: workingDirectory)
        }
        return layer
    }
}
