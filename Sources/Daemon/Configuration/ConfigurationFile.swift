import Foundation
import TOMLKit

/// The config file, `$XDG_CONFIG_HOME/omnisonic/config.toml`, as a `ConfigurationLayer`.
///
/// The file only says *which* setting a TOML key feeds and checks the TOML type; the values
/// are validated by `Configuration.resolve` like those of every other layer, with an origin
/// such as `/home/me/.config/omnisonic/config.toml key "listen"`. Relative paths in the file are
/// taken against the file's folder.
///
/// Connecting a new setting is one entry in `entries` (after adding its `ConfigurationKey`).
/// Keys nobody reads are errors: a typo must not be silently ignored for years.
public enum ConfigurationFile {
    /// What TOML values a key accepts.
    public enum Kind: Sendable {
        /// A string.
        case text
        /// A string or an array of strings (`music = "~/Music"` or `music = ["~/Music", "/mnt/nas"]`).
        case textList
        /// A string or a non-negative integer (`max-upload-size = "2G"` or `= 1048576`).
        case textOrInteger
        /// A boolean (`analysis = false`), passed on as "true" or "false".
        case boolean
    }

    /// One key of the file: the setting it feeds and the TOML values it accepts.
    public struct Entry: Sendable {
        public var key: ConfigurationKey
        public var kind: Kind

        public init(_ key: ConfigurationKey, _ kind: Kind) {
            self.key = key
            self.kind = kind
        }
    }

    /// Every key the file may contain, by TOML path (`"listen"`, or `"sync.url"` for `url` in
    /// a `[sync]` table). The single place that maps the file onto settings.
    public static let entries: [String: Entry] = [
        "music": Entry(.music, .textList),
        "data": Entry(.data, .text),
        "cache": Entry(.cache, .text),
        "listen": Entry(.listen, .text),
        "token": Entry(.token, .text),
        "web": Entry(.web, .text),
        "max-upload-size": Entry(.maxUploadSize, .textOrInteger),
        "log-level": Entry(.logLevel, .text),
        "sync.url": Entry(.syncURL, .text),
        "sync.token": Entry(.syncToken, .text),
        "output": Entry(.output, .text),
        "replaygain": Entry(.replayGain, .text),
        "idle-timeout": Entry(.idleTimeout, .textOrInteger),
        "max-connections": Entry(.maxConnections, .textOrInteger),
        "max-event-streams": Entry(.maxEventStreams, .textOrInteger),
        "max-upload-total": Entry(.maxUploadTotal, .textOrInteger),
        "mpd-listen": Entry(.mpdListen, .textList),
        "mpd-password": Entry(.mpdPassword, .text),
        "subsonic.user": Entry(.subsonicUser, .text),
        "analysis": Entry(.analysis, .boolean),
    ]

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: `ConfigurationError` (`badFile`) when the file cannot be read or is not TOML;
    ///   (`unknownKey`) for a key nobody reads; (`invalidValue`) for a value of the wrong TOML type.
    public static func load(path: String) throws(ConfigurationError) -> ConfigurationLayer {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)"
            throw ConfigurationError(.badFile, key: nil, message: "cannot read the config file \(path): \(reason)")
        }
        return try parse(text, path: path)
    }

    /// Parses the text of a config file.
    ///
    /// - Parameter path: the file's path: named in origins and errors; its folder is the base
    ///   of relative paths.
    /// - Throws: as `load(path:)`.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> ConfigurationLayer {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(.badFile, key: nil, message: """
                the config file \(path) is not valid TOML: \(error.description) \
                (line \(error.source.begin.line), column \(error.source.begin.column))
                """)
        } catch {
            throw ConfigurationError(.badFile, key: nil, message: "the config file \(path) is not valid TOML: \(error)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var layer = ConfigurationLayer(name: path)
        try read(table, prefix: "", path: path, folder: folder, into: &layer)
        return layer
    }

    /// Table prefixes that hold known keys (`sync.` for `sync.url`).
    private static var tablePrefixes: Set<String> {
        var prefixes = Set<String>()
        for name in entries.keys {
            var parts = name.split(separator: ".").dropLast()
            while !parts.isEmpty {
                prefixes.insert(parts.joined(separator: ".") + ".")
                parts = parts.dropLast()
            }
        }
        return prefixes
    }

    private static func read(_ table: TOMLTable, prefix: String, path: String, folder: String,
                             into layer: inout ConfigurationLayer) throws(ConfigurationError) {
        // Sorted, so the first unknown key reported is the same on every run.
        for name in table.keys.sorted() {
            guard let value = table[name] else { continue }
            let full = prefix + name
            let origin = "\(path) key \"\(full)\""
            if let entry = entries[full] {
                let values = try strings(value, kind: entry.kind, origin: origin, key: entry.key)
                layer.set(entry.key, values, origin: origin, baseDirectory: folder)
            } else if value.type == .table, let nested = value.table, tablePrefixes.contains(full + ".") {
                try read(nested, prefix: full + ".", path: path, folder: folder, into: &layer)
            } else {
                let known = entries.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                throw ConfigurationError(.unknownKey, key: nil, message: """
                    \(origin) is not a setting; the known keys are \(known)
                    """)
            }
        }
    }

    private static func strings(_ value: any TOMLValueConvertible, kind: Kind, origin: String,
                                key: ConfigurationKey) throws(ConfigurationError) -> [String] {
        func wrongType(_ expected: String) -> ConfigurationError {
            ConfigurationError(.invalidValue, key: key, message: "\(origin) must be \(expected), not a TOML \(value.type)")
        }
        switch kind {
        case .text:
            guard let text = value.string else { throw wrongType("a string") }
            return [text]
        case .textList:
            if let text = value.string { return [text] }
            guard let array = value.array else { throw wrongType("a string or an array of strings") }
            var texts: [String] = []
            for element in array {
                guard let text = element.string else { throw wrongType("a string or an array of strings") }
                texts.append(text)
            }
            return texts
        case .textOrInteger:
            if let text = value.string { return [text] }
            guard value.type == .int, let number = value.int else { throw wrongType("a string or an integer") }
            return [String(number)]
        case .boolean:
            guard value.type == .bool, let flag = value.bool else { throw wrongType("true or false") }
            return [flag ? "true" : "false"]
        }
    }
}
