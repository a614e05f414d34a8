import Foundation
import LocalStore
import OmniModel

/// M3U and M3U8 playlists: reading what other players wrote, writing what they read.
///
/// Reading is lenient, because playlists come from everywhere: a UTF-8 BOM, CRLF or CR line
/// ends, Latin-1 text (old `.m3u`), `#EXTM3U`/`#EXTINF` or none, absolute and relative paths,
/// `file://` URLs, Windows separators and drive letters. Writing produces extended M3U8
/// (UTF-8, `#EXTINF:<seconds>,<artist> - <title>`). Pure functions; any thread.
public enum M3U {
    /// One entry of a playlist.
    public struct Entry: Sendable, Equatable {
        /// The location with `/` separators; a `file://` URL is decoded to its path. Other URLs
        /// (`http://...`) are kept as they are and resolve to nothing.
        public var location: String
        /// Seconds from `#EXTINF` (nil when absent, negative, not a number, or longer than
        /// `maximumSeconds`: `1e300`, `inf` and `nan` are a lying line, not a length).
        public var durationSeconds: Int?
        /// The text after the comma of `#EXTINF`, typically "Artist - Title".
        public var displayTitle: String?

        public init(location: String, durationSeconds: Int? = nil, displayTitle: String? = nil) {
            self.location = location
            self.durationSeconds = durationSeconds
            self.displayTitle = displayTitle
        }

        /// True for `/...` paths (and decoded `file://` URLs).
        public var isAbsolute: Bool { location.hasPrefix("/") }
        /// True for a URL other than `file://`.
        public var isRemoteURL: Bool {
            guard let colon = location.firstIndex(of: ":"), location[colon...].hasPrefix("://") else { return false }
            return location[..<colon].allSatisfy { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }
        }
        /// The last path component.
        public var fileName: String { String(location.split(separator: "/").last ?? "") }
    }

    /// The longest `#EXTINF` duration believed, in seconds (366 days, as for audio files).
    public static let maximumSeconds = 366 * 24 * 3600

    /// False for bytes that are not a playlist (an image, random bytes sent by mistake): they
    /// hold control characters other than tab, line and page breaks (text never does), or
    /// nothing in them is a playlist line (no `#EXTM3U` header, and no entry that looks like a
    /// file: a `/` or `\` in it, or an audio extension).
    public static func isPlaylist(_ bytes: [UInt8], entries: [Entry]) -> Bool {
        if bytes.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0C && $0 != 0x0D || $0 == 0x7F }) { return false }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if body.starts(with: Array("#EXTM3U".utf8)) { return true }
        return entries.contains { entry in
            entry.location.contains("/") || entry.location.contains("\\")
                || AudioFileTypes.audioExtensions.contains(RawPath(entry.fileName).lowercasedExtension)
        }
    }

    /// Parses a playlist's bytes.
    public static func parse(_ bytes: [UInt8]) -> [Entry] {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        // Not UTF-8: an old .m3u in Latin-1, where every byte is its code point.
        let text = String(validating: body, as: UTF8.self)
            ?? String(String.UnicodeScalarView(body.map { Unicode.Scalar($0) }))
        var entries: [Entry] = []
        var pendingDuration: Int?
        var pendingTitle: String?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if line.uppercased().hasPrefix("#EXTINF:") {
                    let info = line.dropFirst("#EXTINF:".count)
                    let comma = info.firstIndex(of: ",")
                    // `#EXTINF:123 tvg-id="x",Title`: the duration is the first number.
                    let head = info[..<(comma ?? info.endIndex)].split(separator: " ").first.map(String.init) ?? ""
                    let seconds = Double(head.trimmingCharacters(in: .whitespaces))
                    // `Int(x.rounded())` traps on 1e300 and inf; an absurd length is no length.
                    pendingDuration = seconds.flatMap(CheckedArithmetic.int(rounding:)).flatMap { (0...maximumSeconds).contains($0) ? $0 : nil }
                    let title = comma.map { info[info.index(after: $0)...].trimmingCharacters(in: .whitespaces) }
                    pendingTitle = title?.isEmpty == false ? title : nil
                }
                continue
            }
            entries.append(Entry(location: normalize(line), durationSeconds: pendingDuration, displayTitle: pendingTitle))
            pendingDuration = nil
            pendingTitle = nil
        }
        return entries
    }

    /// A location with `/` separators; `file://` URLs decoded.
    static func normalize(_ location: String) -> String {
        let lower = location.lowercased()
        if lower.hasPrefix("file://") {
            var rest = String(location.dropFirst("file://".count))
            // file://localhost/path and file:///path; file://host/path names another machine.
            if rest.lowercased().hasPrefix("localhost/") { rest = String(rest.dropFirst("localhost".count)) }
            if !rest.hasPrefix("/") { rest = "/" + rest }
            if let decoded = percentDecode(rest) { return decoded }
            return rest
        }
        if Entry(location: location).isRemoteURL { return location }
        return location.replacingOccurrences(of: "\\", with: "/")
    }

    /// Decodes `%XX` escapes into bytes, then UTF-8 (nil when the result is not UTF-8).
    static func percentDecode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// A track to write into a playlist.
    public struct Item: Sendable, Equatable {
        /// The file, absolute.
        public var path: RawPath
        public var durationMs: Int?
        public var artist: String?
        public var title: String

        public init(path: RawPath, durationMs: Int?, artist: String?, title: String) {
            self.path = path
            self.durationMs = durationMs
            self.artist = artist
            self.title = title
        }
    }

    /// Writes an extended M3U8 playlist.
    ///
    /// - Parameter base: when given, paths under it are written relative to it (the folder the
    ///   playlist will be saved in, or a music root); others stay absolute. Paths that a line
    ///   cannot hold (line breaks, bytes that are not UTF-8) are written as `file://` URLs.
    public static func write(_ items: [Item], relativeTo base: RawPath? = nil) -> String {
        var out = "#EXTM3U\n"
        for item in items {
            let seconds = item.durationMs.map { Int((Double($0) / 1000).rounded()) } ?? -1
            var label = item.title
            if let artist = item.artist, !artist.isEmpty { label = "\(artist) - \(item.title)" }
            label = String(String.UnicodeScalarView(label.unicodeScalars.map {
                $0.properties.generalCategory == .control ? " " : $0
            }))
            out += "#EXTINF:\(seconds),\(label)\n"
            var path = item.path
            if let base, !base.isEmpty {
                let prefix = base.bytes.last == UInt8(ascii: "/") ? base.bytes : base.bytes + [UInt8(ascii: "/")]
                if path.bytes.starts(with: prefix) { path = RawPath(bytes: Array(path.bytes.dropFirst(prefix.count))) }
            }
            let writable = path.isValidUTF8 && !path.bytes.contains(where: { $0 < 0x20 || $0 == 0x7F })
                && !path.displayString.hasPrefix("#")
            if writable {
                out += path.displayString + "\n"
            } else {
                let absolute = path.bytes.first == UInt8(ascii: "/") ? path : (base ?? RawPath("/")).appending(path)
                out += "file://" + Trash.escape(absolute) + "\n"
            }
        }
        return out
    }
}

/// Finds the library's tracks for playlist entries.
///
/// In order: the path (absolute, or relative to the playlist's folder, or relative to a music
/// root) names a file of the library; else the file name matches one file whose duration is
/// within 2 seconds of `#EXTINF` (or the only file of that name when there is no duration).
/// Blocking (database reads); any thread.
public struct M3UResolver: Sendable {
    /// How an entry was found.
    public enum Match: String, Sendable, Codable {
        case path
        case fileName
    }

    /// The outcome for one entry.
    public struct Resolution: Sendable, Equatable {
        public var entry: M3U.Entry
        public var uid: TrackUID?
        public var match: Match?
    }

    private let library: Library

    public init(library: Library) {
        self.library = library
    }

    /// Resolves `entries`, in order.
    ///
    /// - Parameter playlistFolder: the folder the playlist was in, when known (absolute), for
    ///   relative paths.
    public func resolve(_ entries: [M3U.Entry], playlistFolder: String? = nil) throws(StoreError) -> [Resolution] {
        let roots = try library.roots()
        return try entries.map { entry throws(StoreError) in try resolve(entry, roots: roots, playlistFolder: playlistFolder) }
    }

    private func resolve(_ entry: M3U.Entry, roots: [MusicRoot], playlistFolder: String?) throws(StoreError) -> Resolution {
        if entry.isRemoteURL { return Resolution(entry: entry, uid: nil, match: nil) }
        var candidates: [String] = []
        if entry.isAbsolute {
            candidates.append(Self.clean(entry.location))
        } else {
            if let playlistFolder { candidates.append(Self.clean(playlistFolder + "/" + entry.location)) }
            for root in roots { candidates.append(Self.clean(root.path.displayString + "/" + entry.location)) }
        }
        for candidate in candidates {
            for root in roots {
                let prefix = root.path.displayString.hasSuffix("/") ? root.path.displayString : root.path.displayString + "/"
                guard candidate.hasPrefix(prefix) else { continue }
                let relative = RawPath(String(candidate.dropFirst(prefix.count)))
                if let file = try library.file(rootID: root.id, relativePath: relative), let uid = file.trackUID {
                    return Resolution(entry: entry, uid: uid, match: .path)
                }
            }
        }
        let name = entry.fileName
        guard !name.isEmpty else { return Resolution(entry: entry, uid: nil, match: nil) }
        let named = try library.files(named: RawPath(name))
        let chosen: LibraryFile?
        if let seconds = entry.durationSeconds {
            // Entries built by hand (not by `parse`) may hold any Int: measure without trapping.
            let wanted = CheckedArithmetic.clampedProduct(seconds, 1000)
            func distance(_ ms: Int?) -> Int {
                let difference = CheckedArithmetic.clampedSum(ms ?? 0, wanted == Int.min ? Int.max : -wanted)
                return difference == Int.min ? Int.max : abs(difference)
            }
            chosen = named.filter { file in
                guard file.durationMs != nil else { return false }
                return distance(file.durationMs) <= 2000
            }.min { distance($0.durationMs) < distance($1.durationMs) }
        } else {
            chosen = Set(named.compactMap(\.trackUID)).count == 1 ? named.first : nil
        }
        return Resolution(entry: entry, uid: chosen?.trackUID, match: chosen == nil ? nil : .fileName)
    }

    /// An absolute path without `.`, `..` and repeated slashes.
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
