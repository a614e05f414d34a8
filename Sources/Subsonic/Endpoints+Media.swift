import Foundation
import Hummingbird
import LocalStore
import MediaIO
import OmniModel
import WebUI

// stream, download and getCoverArt: the web door's streaming (HTTP Range, confinement to the
// music folders, transcoding with MediaIO: decision 0024) and artwork answers (`MediaResponder`,
// scaled with `size`), on ids of this door.
extension SubsonicAPI {
    static func registerMedia(_ t: inout [String: Endpoint]) {
        // `format` mp3, opus or aac is encoded as it streams; `raw`, or a codec we do not encode,
        // is the original file (what Navidrome does for a format it has no transcoding for);
        // `maxBitRate` alone transcodes to mp3 only when the file is above it; `timeOffset`
        // starts later (the transcodeOffset extension).
        t["stream"] = { c in
            guard case .song(let uid) = ID(try c.parameters.required("id")) else { throw SubsonicError.notFound("song") }
            var options = StreamOptions()
            switch c.parameters.string("format")?.lowercased() {
            case let name? where TranscodeFormat(rawValue: name) != nil: options.format = TranscodeFormat(rawValue: name)
            case nil, "": break
            default: options.original = true
            }
            if let text = c.parameters.string("maxBitRate"), let rate = Int(text), rate > 0 { options.maxBitRate = min(rate, 10_000) }
            if let text = c.parameters.string("timeOffset"), let offset = Double(text), offset.isFinite, offset > 0 {
                options.timeOffset = min(offset, 366 * 86_400)
            }
            return .http(try await c.media.stream(uid: uid, options: options, request: c.request, context: c.context))
        }
        // The original file, whatever else the query says.
        t["download"] = { c in
            guard case .song(let uid) = ID(try c.parameters.required("id")) else { throw SubsonicError.notFound("song") }
            return .http(try await c.media.stream(uid: uid, options: .originalFile, request: c.request, context: c.context))
        }
        t["getCoverArt"] = { c in
            let reference: ArtworkReference?
            switch ID(try c.parameters.required("id")) {
            case .song(let uid)?: reference = try c.library.trackArtwork(uid: uid)
            case .album(let key)?:
                reference = try c.library.albumID(key: key).flatMap { id throws(StoreError) in try c.library.albumArtwork(albumID: id) }
            case .artist(let key)?:
                reference = try c.library.subsonicArtist(key: key)?.albums.lazy.filter(\.hasArtwork).first
                    .flatMap { album throws(StoreError) in try c.library.albumArtwork(albumID: album.id) }
            default: reference = nil
            }
            guard let reference else { throw SubsonicError.notFound("cover art") }
            // Clients ask any size (a phone's screen width); the web door scales within 16…2,048.
            var size: Int?
            if let text = c.parameters.string("size"), let asked = Int(text), asked > 0 {
                size = min(max(asked, ArtworkScaler.sizes.lowerBound), ArtworkScaler.sizes.upperBound)
            }
            return .http(try await c.media.artwork(reference, size: size, request: c.request, context: c.context))
        }
    }

    /// `getLyricsBySongId` (the songLyrics extension) and the legacy `getLyrics` (by artist and
    /// title), from the tags and `.lrc` files MediaIO's `LyricsReader` reads.
    static func registerLyrics(_ t: inout [String: Endpoint]) {
        t["getLyricsBySongId"] = { c in
            guard case .song(let uid) = ID(try c.parameters.required("id")) else { throw SubsonicError.notFound("song") }
            let found = try await c.media.lyrics(uid: uid)
            var list = Node("lyricsList")
            list.add(list: "structuredLyrics", found.map(structured))
            return .node(list)
        }
        t["getLyrics"] = { c in
            // The legacy call names no song: the library's best match for the title (and the
            // artist when given) whose file has lyrics; an empty `lyrics` when none does.
            let artist = c.parameters.string("artist") ?? "", title = c.parameters.string("title") ?? ""
            var node = Node("lyrics")
            guard !title.isEmpty else { return .node(node) }
            let candidates = try c.library.search(SearchQuery(text: [artist, title].filter { !$0.isEmpty }.joined(separator: " "),
                                                              limit: 10, offset: 0, sort: .relevance)).tracks
            for track in candidates where track.title.caseInsensitiveCompare(title) == .orderedSame {
                guard let lyrics = try await c.media.lyrics(uid: track.uid).first(where: { !$0.lines.isEmpty }) else { continue }
                node.set("artist", .string(lyrics.artist ?? track.artist ?? artist))
                node.set("title", .string(lyrics.title ?? track.title))
                node.text = lyrics.plainText
                node.set("value", .string(lyrics.plainText))
                break
            }
            return .node(node)
        }
    }

    /// One set of lyrics in OpenSubsonic's `structuredLyrics` shape: `start` in ms only when synced.
    static func structured(_ lyrics: Lyrics) -> Node {
        var n = Node("structuredLyrics")
        n.set("lang", .string(lyrics.language ?? "und"))
        n.set("synced", .bool(lyrics.synced))
        n.set("displayArtist", lyrics.artist.map(Value.string))
        n.set("displayTitle", lyrics.title.map(Value.string))
        if lyrics.offsetMs != 0 { n.set("offset", .int(lyrics.offsetMs)) }
        n.add(list: "line", lyrics.lines.map { line in
            var l = Node("line")
            if lyrics.synced, let start = line.startMs { l.set("start", .int(start)) }
            l.set("value", .string(line.text))
            l.text = line.text
            return l
        })
        return n
    }
}
