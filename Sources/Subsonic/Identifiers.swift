import Foundation
import LocalStore
import OmniModel

/// The door's ids: strings, stable across rescans and restarts, and telling what they name.
///
/// - songs: `tr-` + the track's uid (decision 0002: the same on every device);
/// - albums: `al-` + base64url of the album's key (`title␟a:album artist`, decision 0004);
/// - artists: `ar-` + base64url of the artist's folded name;
/// - playlists: `pl-` + the playlist's id (the one write path's, shared with every device).
///
/// Keys are reversible, so a lookup needs no table of ids: `albumKey` and `nameKey` are unique
/// columns.
enum ID: Equatable {
    case song(TrackUID)
    case album(key: String)
    case artist(key: String)
    case playlist(String)

    static func ofSong(_ uid: TrackUID) -> String { "tr-" + uid.rawValue }
    static func ofAlbum(_ key: String) -> String { "al-" + base64url(key) }
    static func ofArtist(_ key: String) -> String { "ar-" + base64url(key) }
    static func ofArtist(named name: String) -> String { ofArtist(TextKey.fold(name)) }
    static func ofPlaylist(_ id: String) -> String { "pl-" + id }

    /// Reads an id; nil when it is not one of ours.
    init?(_ text: String) {
        guard text.utf8.count <= 2048, text.count > 3 else { return nil }
        let body = String(text.dropFirst(3))
        switch text.prefix(3) {
        case "tr-":
            guard !body.isEmpty, body.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7a) }) else { return nil }
            self = .song(TrackUID(rawValue: body))
        case "al-":
            guard let key = Self.unbase64url(body) else { return nil }
            self = .album(key: key)
        case "ar-":
            guard let key = Self.unbase64url(body) else { return nil }
            self = .artist(key: key)
        case "pl-":
            self = .playlist(body)
        default:
            return nil
        }
    }

    /// base64url without padding. By hand: a page of 500 songs makes thousands of ids, and
    /// Foundation's encoder plus three `replacingOccurrences` was a visible share of it.
    static func base64url(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let bytes = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            i += 3
        }
        if i < bytes.count {
            let n = UInt32(bytes[i]) << 16 | (i + 1 < bytes.count ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            if i + 1 < bytes.count { out.append(alphabet[Int(n >> 6 & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unbase64url(_ text: String) -> String? {
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.utf8.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

/// Dates as clients parse them: ISO 8601 in UTC with milliseconds (`2024-05-01T10:00:00.000Z`).
enum ISODate {
    static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Digits by hand: `String(format:)` is slow on Linux, and a page of songs has a
        // thousand dates.
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var text = Array(String(max(value, 0)).utf8)
            while text.count < width { text.insert(UInt8(ascii: "0"), at: 0) }
            out.append(contentsOf: text)
        }
        digits(Int(parts.tm_year) + 1900, 4); out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); out.append(UInt8(ascii: "."))
        digits(max(0, min(999, millis)), 3); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Milliseconds since 1970 (`scrobble`'s `time`), or an ISO 8601 date.
    static func value(_ date: Date) -> Value { .string(string(date)) }
}
