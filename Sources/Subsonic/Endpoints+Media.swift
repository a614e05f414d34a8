import Foundation
import Hummingbird
import LocalStore
import OmniModel

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
            var asked: [(String, String)] = []
            switch c.parameters.string("format")?.lowercased() {
            case let format? where ["mp3", "opus", "aac"].contains(format): asked.append(("format", format))
            case nil, "": break
            default: asked.append(("format", "raw"))
            }
            if let text = c.parameters.string("maxBitRate"), let rate = Int(text), rate > 0 {
                asked.append(("maxBitRate", String(min(rate, 10_000))))
            }
            if let text = c.parameters.string("timeOffset"), let offset = Double(text), offset.isFinite, offset > 0 {
                asked.append(("timeOffset", String(offset)))
            }
            return .http(try await c.media.stream(uid: uid, request: webRequest(c, asking: asked), context: c.context))
        }
        // The original file, whatever else the query says.
        t["download"] = { c in
            guard case .song(let uid) = ID(try c.parameters.required("id")) else { throw SubsonicError.notFound("song") }
            return .http(try await c.media.stream(uid: uid, request: webRequest(c, asking: []), context: c.context))
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
            var asked: [(String, String)] = []
            if let text = c.parameters.string("size"), let size = Int(text), size > 0 {
                asked.append(("size", String(min(max(size, 16), 2048))))
            }
            return .http(try await c.media.artwork(reference, request: webRequest(c, asking: asked), context: c.context))
        }
    }

    /// The request as the web door's media answers read it: the same method and headers (`Range`,
    /// `If-None-Match`), with a query made of `asked` only. A Subsonic client may send its
    /// parameters in a form body (formPost) and values the web door refuses; this door decides
    /// what they mean (above) and hands on only that.
    static func webRequest(_ c: Call, asking asked: [(String, String)]) -> Request {
        var components = URLComponents()
        components.queryItems = asked.map { URLQueryItem(name: $0.0, value: $0.1) }
        var head = c.request.head
        head.path = "/rest/media" + (asked.isEmpty ? "" : "?" + (components.percentEncodedQuery ?? ""))
        return Request(head: head, body: c.request.body)
    }
}
