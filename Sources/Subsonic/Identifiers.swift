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

    static func base64url(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
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
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), max(0, min(999, millis)))
    }

    /// Milliseconds since 1970 (`scrobble`'s `time`), or an ISO 8601 date.
    static func value(_ date: Date) -> Value { .string(string(date)) }
}
