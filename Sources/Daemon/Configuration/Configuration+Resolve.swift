import Foundation
import Logging
import OmniModel
import Player

/// What defaults depend on: the process environment, home and working directory. Passed in, not
/// read from globals, so tests resolve configurations for any environment.
public struct ConfigurationEnvironment: Sendable {
    public var variables: [String: String]
    public var workingDirectory: String

    public init(variables: [String: String], workingDirectory: String) {
        self.variables = variables
        self.workingDirectory = workingDirectory
    }

    /// This process's environment and working directory.
    public static var current: ConfigurationEnvironment {
        ConfigurationEnvironment(variables: ProcessInfo.processInfo.environment,
                                 workingDirectory: FileManager.default.currentDirectoryPath)
    }

    var home: String { variables["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() }

    /// `$name` when set to an absolute path (the XDG spec says relative ones are ignored), else `fallback`.
    func xdg(_ name: String, fallback: String) -> String {
        if let value = variables[name], value.hasPrefix("/") { return value }
        return home + "/" + fallback
    }

    /// `$XDG_DATA_HOME/omnisonic`.
    public var defaultData: String { xdg("XDG_DATA_HOME", fallback: ".local/share") + "/omnisonic" }
    /// `$XDG_CACHE_HOME/omnisonic`.
    public var defaultCache: String { xdg("XDG_CACHE_HOME", fallback: ".cache") + "/omnisonic" }
    /// `$XDG_CONFIG_HOME/systemd/user`, where a user's systemd manager looks for units an
    /// administrator did not install (`omnisonicd install-service`).
    public var userUnitFolder: String { xdg("XDG_CONFIG_HOME", fallback: ".config") + "/systemd/user" }
    /// `$XDG_CONFIG_HOME/omnisonic/config.toml`, where the service issue's config file lives.
    public var defaultConfigFile: String { xdg("XDG_CONFIG_HOME", fallback: ".config") + "/omnisonic/config.toml" }

    /// The user's music folder: `$XDG_MUSIC_DIR`, else `XDG_MUSIC_DIR` in
    /// `$XDG_CONFIG_HOME/user-dirs.dirs` (as xdg-user-dirs writes it), else `~/Music`.
    public var defaultMusic: String {
        if let value = variables["XDG_MUSIC_DIR"], value.hasPrefix("/") { return value }
        let file = xdg("XDG_CONFIG_HOME", fallback: ".config") + "/user-dirs.dirs"
        if let text = try? String(contentsOfFile: file, encoding: .utf8),
           let value = Self.userDir("XDG_MUSIC_DIR", in: text, home: home) {
            return value
        }
        return home + "/Music"
    }

    /// Reads `NAME="$HOME/Folder"` from a user-dirs.dirs text (the last line wins, as in the shell).
    static func userDir(_ name: String, in text: String, home: String) -> String? {
        var found: String?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(name + "=") else { continue }
            var value = String(trimmed.dropFirst(name.count + 1))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if value.hasPrefix("$HOME") { value = home + value.dropFirst(5) }
            // The spec allows only "$HOME/..." or an absolute path.
            if value.hasPrefix("/") { found = value }
        }
        return found
    }
}

extension Configuration {
    /// Resolves and validates a configuration.
    ///
    /// - Parameters:
    ///   - layers: sources in precedence order, the first setting a key wins: command line,
    ///     environment, config file.
    ///   - environment: for defaults (XDG folders, home) and relative paths.
    /// - Throws: `ConfigurationError` naming the key and the origin of its bad value; also when a
    ///   non-loopback address has no token.
    public static func resolve(_ layers: [ConfigurationLayer], environment: ConfigurationEnvironment) throws(ConfigurationError) -> Configuration {
        func setting(_ key: ConfigurationKey) -> ConfigurationSetting? {
            layers.lazy.compactMap { $0.settings[key] }.first
        }
        func single(_ key: ConfigurationKey) throws(ConfigurationError) -> (value: String, setting: ConfigurationSetting)? {
            guard let setting = setting(key) else { return nil }
            guard setting.values.count == 1, let value = setting.values.first else {
                throw ConfigurationError(.invalidValue, key: key, message: "\(setting.origin) is given \(setting.values.count) times; give it once")
            }
            return (value, setting)
        }
        func path(_ key: ConfigurationKey, _ value: String, _ setting: ConfigurationSetting) throws(ConfigurationError) -> String {
            guard !value.isEmpty, !value.contains("\0") else {
                throw ConfigurationError(.invalidValue, key: key, message: "\(setting.origin) must be a folder path, not an empty value")
            }
            return Self.absolute(value, relativeTo: setting.baseDirectory ?? environment.workingDirectory, home: environment.home)
        }

        // Folders.
        var music: [String]
        if let setting = setting(.music) {
            music = []
            for value in setting.values { music.append(try path(.music, value, setting)) }
            if music.isEmpty {
                throw ConfigurationError(.missing, key: .music, message: "\(setting.origin) names no music folder")
            }
        } else {
            music = [environment.defaultMusic]
        }
        var seen = Set<String>()
        music = music.filter { seen.insert($0).inserted }

        let data: String
        let cache: String
        if let (value, setting) = try single(.data) {
            data = try path(.data, value, setting)
        } else {
            data = environment.defaultData
        }
        if let (value, setting) = try single(.cache) {
            cache = try path(.cache, value, setting)
        } else if setting(.data) != nil {
            // A library folder named explicitly is self-contained (as `omnisonicd scan` does).
            cache = data + "/cache"
        } else {
            cache = environment.defaultCache
        }

        // Network.
        var listen = Configuration.defaultListen
        if let (value, setting) = try single(.listen) {
            guard let parsed = ListenAddress(parsing: value) else {
                throw ConfigurationError(.invalidValue, key: .listen, message: """
                    \(setting.origin) must be HOST:PORT with an IP address or localhost and a port from 0 to 65535 \
                    (like 127.0.0.1:6690 or [::1]:6690), not "\(value)"
                    """)
            }
            listen = parsed
        }
        var token: String?
        if let (value, setting) = try single(.token) {
            guard value.count >= 16, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw ConfigurationError(.invalidValue, key: .token, message: """
                    \(setting.origin) must be at least 16 printable ASCII characters without spaces \
                    (for example the output of `openssl rand -hex 24`)
                    """)
            }
            token = value
        }
        if !listen.isLoopback && token == nil {
            let origin = setting(.listen)?.origin ?? "--listen"
            throw ConfigurationError(.unsafe, key: .token, message: """
                \(origin) is \(listen), which other computers can reach; refusing to start without an access token \
                (set --token or OMNISONIC_TOKEN, or listen on 127.0.0.1)
                """)
        }

        var web: String?
        if let (value, setting) = try single(.web) {
            let folder = try path(.web, value, setting)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError(.invalidValue, key: .web, message: "\(setting.origin): \(folder) is not a folder")
            }
            web = folder
        }

        var maxUpload = Configuration.defaultMaxUploadBytes
        if let (value, setting) = try single(.maxUploadSize) {
            guard let bytes = Self.byteCount(value), bytes > 0 else {
                throw ConfigurationError(.invalidValue, key: .maxUploadSize, message: """
                    \(setting.origin) must be a positive size such as 500M, 2G or 1048576, not "\(value)"
                    """)
            }
            maxUpload = bytes
        }

        var level = Logger.Level.info
        if let (value, setting) = try single(.logLevel) {
            guard let parsed = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigurationError(.invalidValue, key: .logLevel, message: """
                    \(setting.origin) must be one of trace, debug, info, notice, warning, error, critical, not "\(value)"
                    """)
            }
            level = parsed
        }

        var configuration = Configuration(music: music, data: data, cache: cache, listen: listen, token: token, web: web,
                                          maxUploadBytes: maxUpload, logLevel: level)
        try resolveSync(into: &configuration, single)
        try resolvePlayer(into: &configuration, single)
        if let (value, setting) = try single(.subsonicUser) {
            guard !value.isEmpty, value.utf8.count <= 64, !value.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
                throw ConfigurationError(.invalidValue, key: .subsonicUser, message: "\(setting.origin) must be a user name of 1 to 64 characters without spaces")
            }
            configuration.subsonicUser = value
        }
        try resolveLimits(into: &configuration, single)
        try resolveMPD(into: &configuration, setting: setting(.mpdListen), single, environment: environment)
        if let (value, setting) = try single(.analysis) {
            switch value.lowercased() {
            case "true", "1", "yes", "on": configuration.analysis = true
            case "false", "0", "no", "off": configuration.analysis = false
            default:
                throw ConfigurationError(.invalidValue, key: .analysis, message: "\(setting.origin) must be true or false (or 1 or 0), not \"\(value)\"")
            }
        }
        return configuration
    }

    /// `mpd-listen` (repeatable: `HOST:PORT`, an absolute socket path, or `off`) and
    /// `mpd-password` (required when an address is not loopback). Default: `127.0.0.1:6600` and
    /// `$XDG_RUNTIME_DIR/omnisonic/mpd.sock` when XDG_RUNTIME_DIR is set (docs/decisions/0020-mpd-protocol.md).
    private static func resolveMPD(
        into configuration: inout Configuration, setting: ConfigurationSetting?,
        _ single: (ConfigurationKey) throws(ConfigurationError) -> (value: String, setting: ConfigurationSetting)?,
        environment: ConfigurationEnvironment
    ) throws(ConfigurationError) {
        var addresses: [MPDListenAddress] = []
        if let setting {
            configuration.mpdListenIsDefault = false
            for value in setting.values where value != "off" {
                if value.hasPrefix("/") || value.hasPrefix("~/") || value.hasPrefix("./") {
                    guard !value.contains("\0"), value.utf8.count < 100 else {
                        throw ConfigurationError(.invalidValue, key: .mpdListen, message: "\(setting.origin): a socket path is at most 99 bytes")
                    }
                    addresses.append(.unix(Self.absolute(value, relativeTo: setting.baseDirectory ?? environment.workingDirectory,
                                                         home: environment.home)))
                } else if let parsed = ListenAddress(parsing: value) {
                    addresses.append(.tcp(parsed))
                } else {
                    throw ConfigurationError(.invalidValue, key: .mpdListen, message: """
                        \(setting.origin) must be HOST:PORT (like 127.0.0.1:6600), an absolute socket path, or off, not "\(value)"
                        """)
                }
            }
            if setting.values.contains("off") && setting.values.count > 1 {
                throw ConfigurationError(.invalidValue, key: .mpdListen, message: "\(setting.origin): off cannot be given with addresses")
            }
        } else {
            addresses.append(.defaultTCP)
            if let runtime = environment.variables["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
                addresses.append(.unix(runtime + "/omnisonic/mpd.sock"))
            }
        }
        configuration.mpdListen = addresses
        if let (value, setting) = try single(.mpdPassword) {
            guard !value.isEmpty, value.utf8.count <= 256, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw ConfigurationError(.invalidValue, key: .mpdPassword, message: "\(setting.origin) must be printable ASCII without spaces")
            }
            configuration.mpdPassword = value
        }
        if let open = addresses.first(where: { !$0.isLocal }), configuration.mpdPassword == nil {
            throw ConfigurationError(.unsafe, key: .mpdPassword, message: """
                \(setting?.origin ?? "--mpd-listen") is \(open), which other computers can reach; refusing to start without \
                an MPD password (set --mpd-password or OMNISONIC_MPD_PASSWORD, or listen on 127.0.0.1)
                """)
        }
    }

    /// `sync-url` and `sync-token` (decision 0013): both or neither; the URL http(s) with a host.
    private static func resolveSync(
        into configuration: inout Configuration,
        _ single: (ConfigurationKey) throws(ConfigurationError) -> (value: String, setting: ConfigurationSetting)?
    ) throws(ConfigurationError) {
        let url = try single(.syncURL)
        let token = try single(.syncToken)
        if let (value, setting) = url {
            guard let parsed = URL(string: value), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  parsed.host?.isEmpty == false, parsed.query == nil else {
                throw ConfigurationError(.invalidValue, key: .syncURL, message: """
                    \(setting.origin) must be the sync server's http:// or https:// address (like http://192.168.1.10:7700), not "\(value)"
                    """)
            }
            guard token != nil else {
                throw ConfigurationError(.missing, key: .syncToken, message: """
                    \(setting.origin) is set but no device token is (set --sync-token or OMNISONIC_SYNC_TOKEN to the line \
                    `omnisonicd sync-server add-device` printed)
                    """)
            }
            configuration.syncURL = value.hasSuffix("/") ? String(value.dropLast()) : value
        }
        if let (value, setting) = token {
            guard url != nil else {
                throw ConfigurationError(.missing, key: .syncURL, message: "\(setting.origin) is set but no sync server is (set --sync-url)")
            }
            guard !value.isEmpty, value.utf8.count <= 256, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw ConfigurationError(.invalidValue, key: .syncToken, message: "\(setting.origin) must be printable ASCII without spaces")
            }
            configuration.syncToken = value
        }
    }

    /// The HTTP server's limits: `idle-timeout` (seconds), `max-connections`, `max-event-streams`
    /// (positive whole numbers) and `max-upload-total` (a size).
    private static func resolveLimits(
        into configuration: inout Configuration,
        _ single: (ConfigurationKey) throws(ConfigurationError) -> (value: String, setting: ConfigurationSetting)?
    ) throws(ConfigurationError) {
        func count(_ key: ConfigurationKey, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let (value, setting) = try single(key) else { return nil }
            guard let number = Int(value.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
                throw ConfigurationError(.invalidValue, key: key, message: """
                    \(setting.origin) must be a whole number from \(range.lowerBound) to \(range.upperBound), not "\(value)"
                    """)
            }
            return number
        }
        if let seconds = try count(.idleTimeout, 1...86_400) { configuration.connections.idleTimeout = .seconds(seconds) }
        if let cap = try count(.maxConnections, 1...1_000_000) { configuration.connections.maxConnections = cap }
        if let streams = try count(.maxEventStreams, 1...100_000) { configuration.maxEventStreams = streams }
        if let (value, setting) = try single(.maxUploadTotal) {
            guard let bytes = Self.byteCount(value), bytes > 0 else {
                throw ConfigurationError(.invalidValue, key: .maxUploadTotal, message: """
                    \(setting.origin) must be a positive size such as 2G or 500M, not "\(value)"
                    """)
            }
            configuration.maxUploadTotalBytes = bytes
        }
    }

    /// The player's `output` device and `replaygain` mode (decision 0011).
    private static func resolvePlayer(
        into configuration: inout Configuration,
        _ single: (ConfigurationKey) throws(ConfigurationError) -> (value: String, setting: ConfigurationSetting)?
    ) throws(ConfigurationError) {
        var output = Configuration.defaultOutput
        if let (value, setting) = try single(.output) {
            guard !value.isEmpty, value.utf8.count <= 200, !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw ConfigurationError(.invalidValue, key: .output, message: """
                    \(setting.origin) must be an ALSA device name such as default, hw:0,0 or plughw:1 (1 to 200 characters)
                    """)
            }
            output = value
        }
        var replayGain = ReplayGainMode.off
        if let (value, setting) = try single(.replayGain) {
            guard let parsed = ReplayGainMode(rawValue: value.lowercased()) else {
                throw ConfigurationError(.invalidValue, key: .replayGain, message: """
                    \(setting.origin) must be off, track or album, not "\(value)"
                    """)
            }
            replayGain = parsed
        }
        configuration.output = output
        configuration.replayGain = replayGain
    }

    /// Parses `1048576`, `500K`, `500M`, `2G` (powers of 1024; a trailing `B`/`iB` is allowed).
    static func byteCount(_ text: String) -> Int64? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
        var multiplier: Int64 = 1
        switch t.last {
        case "K": multiplier = 1 << 10
        case "M": multiplier = 1 << 20
        case "G": multiplier = 1 << 30
        case "T": multiplier = 1 << 40
        default: break
        }
        if multiplier > 1 { t.removeLast() }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(t) else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// `path` made absolute against `base`, `~/` expanded, without `.` components or a trailing slash.
    static func absolute(_ path: String, relativeTo base: String, home: String) -> String {
        var full = path
        if full == "~" || full.hasPrefix("~/") {
            full = home + full.dropFirst()
        } else if !full.hasPrefix("/") {
            full = base + "/" + full
        }
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
