import Foundation
import Hummingbird
import LocalStore
import OmniModel

// stream, download and getCoverArt: the web door's streaming (HTTP Range, confinement to the
// music folders) and artwork answers (`MediaResponder`), on ids of this door.
extension SubsonicAPI {
    static func registerMedia(_ t: inout [String: Endpoint]) {
        // Until transcoding lands (MediaIO), `format` and `maxBitRate` are not honoured: the
        // original file is sent, as `format=raw` asks (clients play what `contentType` says).
        t["stream"] = { c in try await original(c) }
        t["download"] = { c in try await original(c) }
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
            return .http(try await c.media.artwork(reference, request: c.request, context: c.context))
        }
    }

    static func original(_ c: Call) async throws -> Reply {
        guard case .song(let uid) = ID(try c.parameters.required("id")) else { throw SubsonicError.notFound("song") }
        return .http(try await c.media.stream(uid: uid, request: c.request, context: c.context))
    }
}
