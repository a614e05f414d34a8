import Foundation
import LocalStore
import OmniModel

// System and browsing endpoints: one small function each, registered by name.
extension SubsonicAPI {
    static func registerSystem(_ t: inout [String: Endpoint]) {
        t["ping"] = { _ in .node(nil) }
        t["getLicense"] = { _ in .node(Node("license", [("valid", true)])) }
        t["getOpenSubsonicExtensions"] = { c in
            var list: [Node] = []
            var extensions = [("apiKeyAuthentication", [1]), ("formPost", [1]), ("transcodeOffset", [1]), ("songLyrics", [1])]
            // Listed only where it answers: a door given the daemon's similarity index.
            if c.environment.similar != nil { extensions.append(("sonicSimilarity", [1])) }
            for (name, versions) in extensions {
                var n = Node("openSubsonicExtensions", [("name", .string(name))])
                n.add(values: "versions", versions.map(Value.int))
                list.append(n)
            }
            // The list itself is the payload: `"openSubsonicExtensions": [...]`.
            return .list("openSubsonicExtensions", list)
        }
        t["getMusicFolders"] = { c in
            var n = Node("musicFolders")
            n.add(list: "musicFolder", c.environment.musicRoots().enumerated().map { i, root in
                Node("musicFolder", [("id", .int(i + 1)), ("name", .string(root.lastComponentName))])
            })
            return .node(n)
        }
        t["getUser"] = { c in
            let name = try c.parameters.required("username")
            guard name == c.user else { throw SubsonicError(.notAuthorized, "only \(c.user)'s own details can be read") }
            return .node(await user(c))
        }
        t["getUsers"] = { c in
            var n = Node("users")
            n.add(list: "user", [await user(c)])
            return .node(n)
        }
        t["getScanStatus"] = { c in
            let status = await c.environment.actions.scanStatus()
            return .node(Node("scanStatus", [("scanning", .bool(status.running)), ("count", .int(try c.library.trackCount()))]))
        }
        t["startScan"] = { c in
            let status = await c.environment.actions.startScan()
            return .node(Node("scanStatus", [("scanning", .bool(status.running)), ("count", .int(try c.library.trackCount()))]))
        }
    }

    static func user(_ c: Call) async -> Node {
        let jukebox = await c.environment.actions.playerStatus() != nil
        var n = Node("user", [("username", .string(c.user)), ("scrobblingEnabled", true), ("adminRole", true), ("settingsRole", true),
                              ("downloadRole", true), ("uploadRole", false), ("playlistRole", true), ("coverArtRole", true),
                              ("commentRole", false), ("podcastRole", false), ("streamRole", true), ("jukeboxRole", .bool(jukebox)),
                              ("shareRole", false), ("videoConversionRole", false)])
        n.add(values: "folder", c.environment.musicRoots().indices.map { .int($0 + 1) })
        return n
    }

    static func registerBrowsing(_ t: inout [String: Endpoint]) {
        t["getArtists"] = { c in
            var n = Node("artists", [("ignoredArticles", .string(Shapes.ignoredArticles))])
            n.add(list: "index", c.shapes.indexes(try c.library.subsonicArtists(), id3: true))
            return .node(n)
        }
        t["getIndexes"] = { c in
            var n = Node("indexes", [("lastModified", .int(Int(c.environment.startedAt.timeIntervalSince1970 * 1000))),
                                     ("ignoredArticles", .string(Shapes.ignoredArticles))])
            n.add(list: "index", c.shapes.indexes(try c.library.subsonicArtists(), id3: false))
            return .node(n)
        }
        t["getArtist"] = { c in
            guard case .artist(let key) = ID(try c.parameters.required("id")),
                  let (artist, albums) = try c.library.subsonicArtist(key: key) else { throw SubsonicError.notFound("artist") }
            var n = c.shapes.artist(artist)
            n.add(list: "album", albums.map { c.shapes.album($0) })
            return .node(n)
        }
        t["getAlbum"] = { c in
            guard case .album(let key) = ID(try c.parameters.required("id")),
                  let (album, tracks) = try c.library.subsonicAlbum(key: key) else { throw SubsonicError.notFound("album") }
            let shapes = try c.shapes.prepared(c.library, tracks)
            var n = shapes.album(album)
            n.add(list: "song", tracks.map { shapes.song($0) })
            return .node(n)
        }
        t["getSong"] = { c in
            guard case .song(let uid) = ID(try c.parameters.required("id")), let track = try c.library.track(uid: uid) else {
                throw SubsonicError.notFound("song")
            }
            return .node(try c.shapes.prepared(c.library, [track]).song(track))
        }
        t["getMusicDirectory"] = { c in
            let text = try c.parameters.required("id")
            switch ID(text) {
            case .artist(let key)?:
                guard let (artist, albums) = try c.library.subsonicArtist(key: key) else { throw SubsonicError.notFound("directory") }
                var n = Node("directory", [("id", .string(text)), ("name", .string(artist.name))])
                n.add(list: "child", albums.map { c.shapes.albumDirectory($0, name: "child") })
                return .node(n)
            case .album(let key)?:
                guard let (album, tracks) = try c.library.subsonicAlbum(key: key) else { throw SubsonicError.notFound("directory") }
                let shapes = try c.shapes.prepared(c.library, tracks)
                var n = Node("directory", [("id", .string(text))])
                n.set("parent", album.albumArtist.map { .string(ID.ofArtist(named: $0)) })
                n.set("name", .string(album.title))
                n.add(list: "child", tracks.map { shapes.song($0, name: "child") })
                return .node(n)
            default:
                throw SubsonicError.notFound("directory")
            }
        }
        t["getGenres"] = { c in
            var n = Node("genres")
            n.add(list: "genre", try c.library.subsonicGenres().map { g in
                var genre = Node("genre", [("songCount", .int(g.songCount)), ("albumCount", .int(g.albumCount)), ("value", .string(g.name))])
                genre.text = g.name
                return genre
            })
            return .node(n)
        }
        t["getAlbumList"] = { c in .node(try albumList(c, name: "albumList", id3: false)) }
        t["getAlbumList2"] = { c in .node(try albumList(c, name: "albumList2", id3: true)) }
        t["getRandomSongs"] = { c in
            let tracks = try c.library.randomTracks(count: try c.parameters.int("size", default: 10, in: 0...500),
                                                    genre: c.parameters.string("genre"),
                                                    fromYear: try c.parameters.optionalInt("fromYear"), toYear: try c.parameters.optionalInt("toYear"))
            return .node(try songs(c, "randomSongs", tracks))
        }
        t["getSongsByGenre"] = { c in
            let tracks = try c.library.tracks(genreNamed: try c.parameters.required("genre"),
                                              limit: try c.parameters.int("count", default: 10, in: 0...500),
                                              offset: try c.parameters.int("offset", default: 0, in: 0...Int(Int32.max)))
            return .node(try songs(c, "songsByGenre", tracks))
        }
        t["getTopSongs"] = { c in
            let tracks = try c.library.topTracks(artist: try c.parameters.required("artist"),
                                                 count: try c.parameters.int("count", default: 50, in: 0...500))
            return .node(try songs(c, "topSongs", tracks))
        }
        // omnisonicd fetches nothing from the internet: empty objects, never null.
        t["getArtistInfo"] = { c in _ = try c.parameters.required("id"); return .node(Node("artistInfo")) }
        t["getArtistInfo2"] = { c in _ = try c.parameters.required("id"); return .node(Node("artistInfo2")) }
        t["getAlbumInfo"] = { c in _ = try c.parameters.required("id"); return .node(Node("albumInfo")) }
        t["getAlbumInfo2"] = { c in _ = try c.parameters.required("id"); return .node(Node("albumInfo")) }
        registerSimilar(&t)
    }

    /// A payload holding one list of songs (`randomSongs`, `songsByGenre`...).
    static func songs(_ c: Call, _ name: String, _ tracks: [TrackRecord], element: String = "song") throws -> Node {
        let shapes = try c.shapes.prepared(c.library, tracks)
        var n = Node(name)
        n.add(list: element, tracks.map { shapes.song($0, name: element) })
        return n
    }

    /// `getAlbumList`/`getAlbumList2`: every `type`; `size` up to 500, `offset`.
    static func albumList(_ c: Call, name: String, id3: Bool) throws -> Node {
        let p = c.parameters
        let order: SubsonicAlbumOrder
        switch try p.required("type") {
        case "random": order = .random
        case "newest": order = .newest
        case "highest": order = .highest
        case "frequent": order = .frequent
        case "recent": order = .recent
        case "alphabeticalByName": order = .alphabeticalByName
        case "alphabeticalByArtist": order = .alphabeticalByArtist
        case "starred": order = .starred
        case "byYear":
            guard let from = try p.optionalInt("fromYear") else { throw SubsonicError.missing("fromYear") }
            guard let to = try p.optionalInt("toYear") else { throw SubsonicError.missing("toYear") }
            order = .byYear(from: from, to: to)
        case "byGenre": order = .byGenre(try p.required("genre"))
        case let other: throw SubsonicError(.generic, "unknown album list type \(other)")
        }
        let albums = try c.library.subsonicAlbums(order, limit: try p.int("size", default: 10, in: 0...500),
                                                  offset: try p.int("offset", default: 0, in: 0...Int(Int32.max)))
        var n = Node(name)
        n.add(list: "album", albums.map { id3 ? c.shapes.album($0) : c.shapes.albumDirectory($0) })
        return n
    }
}

extension Shapes {
    /// A copy with the album keys and favorite dates `tracks` need.
    func prepared(_ library: Library, _ tracks: [TrackRecord]) throws(StoreError) -> Shapes {
        try Shapes.prepare(library, tracks: tracks, legacy: legacy)
    }
}

extension RawPath {
    /// The last path component as text (a music folder's name).
    var lastComponentName: String {
        let text = displayString
        return text.split(separator: "/").last.map(String.init) ?? text
    }
}
