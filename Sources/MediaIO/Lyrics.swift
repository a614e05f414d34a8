import CFFmpeg
import Foundation
import OmniModel

/// One line of lyrics: its text and, when synced, when it starts.
public struct LyricLine: Sendable, Equatable, Codable {
    /// Milliseconds from the music's start, the LRC `[offset:]` already applied; nil for
    /// unsynced lyrics.
    public var startMs: Int?
    /// The line's text (empty for a blank line between verses).
    public var text: String

    public init(startMs: Int?, text: String) {
        self.startMs = startMs
        self.text = text
    }
}

/// One set of lyrics found for a track: from a tag or from an `.lrc` file beside it.
public struct Lyrics: Sendable, Equatable, Codable {
    /// Where they come from: "USLT", "SYLT", the tag key ("LYRICS", "UNSYNCEDLYRICS", "lyrics"
    /// for MP4's `©lyr`), or "lrc" for a file beside the audio.
    public var source: String
    /// The language the tag states (ISO 639-2, "eng"), or the LRC `[la:]`; nil when unknown.
    public var language: String?
    /// The artist and title an LRC file names (`[ar:]`, `[ti:]`), for display.
    public var artist: String?
    public var title: String?
    /// True when every line has a start time.
    public var synced: Bool
    /// The LRC `[offset:]` in milliseconds (positive: lines show sooner). Already applied to
    /// `lines[].startMs`; kept for clients that show it.
    public var offsetMs: Int
    /// The lines, in time order when synced.
    public var lines: [LyricLine]

    public init(source: String, language: String? = nil, artist: String? = nil, title: String? = nil,
                synced: Bool, offsetMs: Int = 0, lines: [LyricLine]) {
        self.source = source
        self.language = language
        self.artist = artist
        self.title = title
        self.synced = synced
        self.offsetMs = offsetMs
        self.lines = lines
    }

    /// The text without times, one line per line.
    public var plainText: String { lines.map(\.text).joined(separator: "\n") }
}

/// Finds a track's lyrics: in its tags (ID3v2 `USLT`/`SYLT` through our parser; Vorbis comments
/// `LYRICS`/`UNSYNCEDLYRICS`, MP4 `©lyr`, APE and Matroska tags through libavformat) and in an
/// `.lrc` file with the same base name beside it. Tag values that are themselves LRC text are
/// parsed as LRC (taggers often store synced lyrics that way).
///
/// Best-effort and bounded: never throws, reads at most `maximumBytes` of an `.lrc` file and of
/// one tag value, and at most `maximumLyrics` sets. Blocking; any thread.
public enum LyricsReader {
    /// The most bytes read from one `.lrc` file or kept of one tag value.
    public static let maximumBytes = 512 << 10
    /// The most sets of lyrics returned for one track.
    public static let maximumLyrics = 8

    /// Every set of lyrics found for the file at `path`: tags first, then the `.lrc` file.
    public static func read(path: RawPath) -> [Lyrics] {
        var found: [Lyrics] = []
        found += fromTags(path)
        if let lrc = lrcFile(beside: path) { found.append(lrc) }
        return Array(found.prefix(maximumLyrics))
    }

    // MARK: - Tags

    static func fromTags(_ path: RawPath) -> [Lyrics] {
        var found: [Lyrics] = []
        // MP3 (and anything with a leading ID3v2 tag): our parser, which libavformat's SYLT
        // support lacks.
        if let file = FileReader(path: path), let tag = ID3v2Parser.read(file, includePictures: false, includeLyrics: true) {
            for frame in tag.lyrics {
                if let lyrics = frame.id == "SYLT" ? sylt(frame.content) : uslt(frame.content) { found.append(lyrics) }
            }
            if !tag.lyrics.isEmpty { return found }
        }
        guard let context = try? FormatContext.guarded(path: path) else { return found }
        var dictionaries = [context.pointer.pointee.metadata]
        for index in 0..<context.streamCount { dictionaries.append(context.stream(index).pointee.metadata) }
        var seen = Set<String>()
        for dictionary in dictionaries {
            var entry: UnsafeMutablePointer<AVDictionaryEntry>?
            while let next = av_dict_get(dictionary, "", entry.map { UnsafePointer($0) }, 2 /* AV_DICT_IGNORE_SUFFIX */) {
                entry = next
                guard let key = next.pointee.key.map({ String(cString: $0) }), let value = next.pointee.value else { continue }
                let lower = key.lowercased()
                guard lower == "lyrics" || lower == "unsyncedlyrics" || lower == "syncedlyrics" || lower.hasPrefix("lyrics-") else { continue }
                let text = String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self),
                                                                count: min(strlen(value), maximumBytes)), as: UTF8.self)
                guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, seen.insert(text).inserted else { continue }
                var lyrics = parseLRC(text, source: key)
                if lower.hasPrefix("lyrics-") { lyrics.language = String(key.dropFirst(7)) }
                found.append(lyrics)
            }
        }
        return found
    }

    /// `USLT`: encoding, language (3), description (terminated), text.
    static func uslt(_ content: [UInt8]) -> Lyrics? {
        guard content.count > 4 else { return nil }
        let encoding = TextDecoding.Encoding(rawValue: content[0]) ?? .latin1
        let language = Self.language(content[1..<4])
        let (_, textStart) = TextDecoding.terminated(content[4...], encoding)
        guard textStart < content.endIndex else { return nil }
        let text = TextDecoding.decode(content[textStart...].prefix(maximumBytes), encoding)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        var lyrics = parseLRC(text, source: "USLT")
        lyrics.language = language
        return lyrics
    }

    /// `SYLT`: encoding, language (3), time format (1: MPEG frames, 2: ms), content type,
    /// description (terminated), then (text, terminated; 32-bit big-endian time) pairs.
    static func sylt(_ content: [UInt8]) -> Lyrics? {
        guard content.count > 6 else { return nil }
        let encoding = TextDecoding.Encoding(rawValue: content[0]) ?? .latin1
        let language = Self.language(content[1..<4])
        // MPEG frame numbers cannot be turned into times without the stream: only ms are kept.
        guard content[4] == 2 else { return nil }
        var (_, position) = TextDecoding.terminated(content[6...], encoding)
        var lines: [LyricLine] = []
        while position < content.endIndex, lines.count < 10_000 {
            let (text, timeStart) = TextDecoding.terminated(content[position...], encoding)
            guard timeStart + 4 <= content.endIndex else { break }
            let time = Int(content[timeStart]) << 24 | Int(content[timeStart + 1]) << 16 | Int(content[timeStart + 2]) << 8 | Int(content[timeStart + 3])
            // A leading newline is SYLT's way to start a new line.
            lines.append(LyricLine(startMs: time, text: text.trimmingCharacters(in: .newlines)))
            position = timeStart + 4
        }
        guard !lines.isEmpty else { return nil }
        lines.sort { ($0.startMs ?? 0) < ($1.startMs ?? 0) }
        return Lyrics(source: "SYLT", language: language, synced: true, lines: lines)
    }

    static func language(_ bytes: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces.union(.controlCharacters))
        return text.count == 3 && text.allSatisfy(\.isLetter) && text.lowercased() != "xxx" ? text.lowercased() : nil
    }

    // MARK: - LRC

    /// `song.lrc` (or `song.LRC`) beside `song.flac`, when it is a regular file.
    static func lrcFile(beside path: RawPath) -> Lyrics? {
        let bytes = path.bytes
        guard let dot = bytes.lastIndex(of: 0x2E), let slash = bytes.lastIndex(of: 0x2F), dot > slash + 1 else { return nil }
        for ext in ["lrc", "LRC"] {
            let candidate = RawPath(bytes: Array(bytes[..<dot]) + [0x2E] + Array(ext.utf8))
            guard let file = FileReader(path: candidate) else { continue }
            let data = file.read(at: 0, count: min(file.size, maximumBytes))
            // Not UTF-8: older LRC files are Latin-1.
            let text = String(validating: data, as: UTF8.self) ?? TextDecoding.decode(data[...], .latin1)
            let lyrics = parseLRC(text, source: "lrc")
            return lyrics.lines.isEmpty ? nil : lyrics
        }
        return nil
    }

    /// Parses LRC text: `[mm:ss.xx]` times (several per line allowed; `[mm:ss]`, `[mm:ss:xx]`
    /// and 1–3 fraction digits accepted), `[offset:±ms]`, `[ar:]`, `[ti:]`, `[la:]`; enhanced
    /// LRC's word times (`<mm:ss.xx>`) are dropped. With any timed line the lyrics are synced:
    /// untimed lines are left out and the lines sorted by time, the offset subtracted (a
    /// positive offset shows lines sooner) and clamped at 0. Without, every line is kept as
    /// plain text (blank lines between verses too, trimmed at both ends).
    public static func parseLRC(_ text: String, source: String) -> Lyrics {
        var timed: [LyricLine] = []
        var plain: [String] = []
        var offset = 0
        var artist: String?, title: String?, language: String?
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for rawLine in body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var rest = Substring(rawLine)
            var times: [Int] = []
            var isTag = false
            while rest.first == "[", let close = rest.firstIndex(of: "]") {
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                if let ms = milliseconds(inside) {
                    times.append(ms)
                } else if let colon = inside.firstIndex(of: ":") {
                    let key = inside[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = inside[inside.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    switch key {
                    case "offset": offset = Int(value.replacingOccurrences(of: "+", with: "")) ?? offset
                    case "ar": artist = value.isEmpty ? nil : value
                    case "ti": title = value.isEmpty ? nil : value
                    case "la": language = value.isEmpty ? nil : value
                    default: break
                    }
                    isTag = true
                } else {
                    break
                }
                rest = rest[rest.index(after: close)...]
            }
            let line = stripWordTimes(rest).trimmingCharacters(in: .whitespaces)
            if !times.isEmpty {
                for time in times { timed.append(LyricLine(startMs: time, text: line)) }
            } else if !isTag {
                plain.append(line)
            }
        }
        if !timed.isEmpty {
            let lines = timed.map { LyricLine(startMs: max(0, $0.startMs! - offset), text: $0.text) }
                .enumerated().sorted { ($0.element.startMs!, $0.offset) < ($1.element.startMs!, $1.offset) }.map(\.element)
            return Lyrics(source: source, language: language, artist: artist, title: title, synced: true, offsetMs: offset, lines: lines)
        }
        while plain.first?.isEmpty == true { plain.removeFirst() }
        while plain.last?.isEmpty == true { plain.removeLast() }
        return Lyrics(source: source, language: language, artist: artist, title: title, synced: false,
                      lines: plain.map { LyricLine(startMs: nil, text: $0) })
    }

    /// `mm:ss`, `mm:ss.f`, `mm:ss.ff`, `mm:ss.fff` or `mm:ss:ff` as milliseconds; nil otherwise.
    static func milliseconds(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let minutes = Int(parts[0]), minutes >= 0, minutes < 10_000 else { return nil }
        var secondsText = parts[1]
        var fraction: Substring = ""
        if parts.count == 3 {
            fraction = parts[2]
        } else if let dot = secondsText.firstIndex(of: ".") {
            fraction = secondsText[secondsText.index(after: dot)...]
            secondsText = secondsText[..<dot]
        }
        guard secondsText.count <= 2, let seconds = Int(secondsText), seconds >= 0, seconds < 60,
              fraction.count <= 3, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber) else { return nil }
        var ms = 0
        if !fraction.isEmpty, let value = Int(fraction) {
            ms = fraction.count == 1 ? value * 100 : fraction.count == 2 ? value * 10 : value
        }
        return (minutes * 60 + seconds) * 1000 + ms
    }

    /// Enhanced LRC: `<00:12.34>word` marks words' times; the text keeps the words.
    static func stripWordTimes(_ text: Substring) -> String {
        guard text.contains("<") else { return String(text) }
        var out = ""
        var rest = text
        while let open = rest.firstIndex(of: "<") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: ">"), milliseconds(rest[rest.index(after: open)..<close]) != nil else {
                out += rest[open...]
                return out
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
