import Foundation
import LocalStore
import OmniModel

// User data through the one write path (`Library.record`: operation log + tables in one
// transaction, so a star here is a favorite in the web UI, over MPD and on the other devices),
// then the matching event.
extension SubsonicAPI {
    static func registerUserData(_ t: inout [String: Endpoint]) {
        t["star"] = { c in try star(c, true) }
        t["unstar"] = { c in try star(c, false) }
        t["setRating"] = { c in
            let uid = try songUID(c, try c.parameters.required("id"))
            guard let rating = try c.parameters.optionalInt("rating"), (0...5).contains(rating) else {
                throw SubsonicError(.generic, "rating must be 0 to 5")
            }
            try record(c, .rate(uid, rating == 0 ? nil : rating))
            return .node(nil)
        }
        t["scrobble"] = { c in
            let ids = c.parameters.strings("id")
            guard !ids.isEmpty else { throw SubsonicError.missing("id") }
            let times = c.parameters.strings("time")
            let submission = c.parameters.bool("submission", default: true)
            let uids = try ids.map { text throws(SubsonicError) in try songUID(c, text) }
            for (i, uid) in uids.enumerated() {
                // A play is never in the future: a client's time beyond now (a clock off, seconds
                // sent as ms) is now. The date is also the operation's clock reading, and a clock
                // pushed to the year 10889 would stamp every later change of this device there.
                let time = i < times.count ? Int64(times[i]).map { min(Date(timeIntervalSince1970: Double($0) / 1000), Date()) } : nil
                if submission {
                    // A play, dated when it happened (a client may scrobble plays made offline).
                    try record(c, .completedPlay(uid, client: PlayClient.subsonic), at: time ?? Date())
                } else {
                    c.state.setNowPlaying(songID: ids[i], client: c.parameters.string("c") ?? "unknown", at: time ?? Date())
                }
            }
            return .node(nil)
        }
        t["getStarred"] = { c in .node(try starred(c, name: "starred", id3: false)) }
        t["getStarred2"] = { c in .node(try starred(c, name: "starred2", id3: true)) }
        registerPlaylists(&t)
    }

    /// The track of a song id that the library has.
    ///
    /// - Throws: `SubsonicError` 70 otherwise.
    static func songUID(_ c: Call, _ text: String) throws(SubsonicError) -> TrackUID {
        guard case .song(let uid) = ID(text), (try? c.library.track(uid: uid)) != nil else {
            throw SubsonicError.notFound("song \(text)")
        }
        return uid
    }

    /// Records `mutation` and announces what its operations changed (nothing when it changed
    /// nothing): the tracks, or an album's or artist's star.
    static func record(_ c: Call, _ mutation: UserMutation, at date: Date = Date()) throws {
        for event in UserOperation.events(for: try c.library.record(mutation, at: date)) { c.environment.publish(event) }
    }

    /// Songs (`id`), albums (`albumId`, or an album's id in `id`, as folder-browsing clients
    /// send) and artists (`artistId`, or in `id`). Every id is checked before anything is
    /// recorded, so an unknown one changes nothing (code 70).
    static func star(_ c: Call, _ on: Bool) throws -> Reply {
        let ids = c.parameters.strings("id"), albumIDs = c.parameters.strings("albumId"), artistIDs = c.parameters.strings("artistId")
        guard !(ids.isEmpty && albumIDs.isEmpty && artistIDs.isEmpty) else { throw SubsonicError.missing("id") }
        var mutations: [UserMutation] = []
        for text in ids + albumIDs + artistIDs {
            switch ID(text) {
            case .song?: mutations.append(.favorite(try songUID(c, text), on))
            case .album(let key)?:
                guard try c.library.albumID(key: key) != nil else { throw SubsonicError.notFound("album \(text)") }
                mutations.append(.favoriteAlbum(key: key, on))
            case .artist(let key)?:
                guard try c.library.subsonicArtist(key: key) != nil else { throw SubsonicError.notFound("artist \(text)") }
                mutations.append(.favoriteArtist(key: key, on))
            default: throw SubsonicError.notFound("song \(text)")
            }
        }
        for mutation in mutations { try record(c, mutation) }
        return .node(nil)
    }

    static func starred(_ c: Call, name: String, id3: Bool) throws -> Node {
        var tracks: [TrackRecord] = []
        while true {
            let page = try c.library.favorites(limit: 1000, offset: tracks.count)
            tracks += page.items
            if page.items.isEmpty || tracks.count >= page.total { break }
        }
        let shapes = try c.shapes.prepared(c.library, tracks)
        var albums: [SubsonicAlbumRow] = []
        while true {
            let page = try c.library.subsonicAlbums(.starred, limit: 500, offset: albums.count)
            albums += page
            if page.count < 500 { break }
        }
        var n = Node(name)
        n.add(list: "artist", try c.library.starredArtists().map { shapes.artist($0, id3: id3) })
        n.add(list: "album", albums.map { id3 ? shapes.album($0) : shapes.albumDirectory($0) })
        n.add(list: "song", tracks.map { shapes.song($0) })
        return n
    }

    // MARK: - Playlists

    static func registerPlaylists(_ t: inout [String: Endpoint]) {
        t["getPlaylists"] = { c in
            var n = Node("playlists")
            n.add(list: "playlist", try c.library.playlists().map { summary in
                playlistNode(c, id: summary.id, name: summary.name, count: summary.trackCount, durationMs: summary.durationMs)
            })
            return .node(n)
        }
        t["getPlaylist"] = { c in .node(try playlist(c, try playlistID(c, try c.parameters.required("id")))) }
        t["createPlaylist"] = { c in
            let songs = try c.parameters.strings("songId").map { text throws(SubsonicError) in try songUID(c, text) }
            let id: String
            if let existing = c.parameters.string("playlistId") {
                // The update form: the playlist's songs become `songId`s (and `name` renames it).
                id = try playlistID(c, existing)
                if let name = c.parameters.string("name") { try c.library.record(.renamePlaylist(id: id, name: name)) }
                for item in try c.library.playlist(id: id)?.items ?? [] {
                    try c.library.record(.removePlaylistItem(id: id, itemId: item.itemId))
                }
            } else {
                let name = try c.parameters.required("name")
                guard let created = try c.library.record(.createPlaylist(name: name)).first?.target else {
                    throw SubsonicError(.generic, "the playlist was not created")
                }
                id = created
            }
            if !songs.isEmpty { try c.library.record(.addToPlaylist(id: id, uids: songs, index: nil)) }
            c.environment.publish(.playlistChanged(id: id))
            return .node(try playlist(c, id))
        }
        t["updatePlaylist"] = { c in
            let id = try playlistID(c, try c.parameters.required("playlistId"))
            if let name = c.parameters.string("name") { try c.library.record(.renamePlaylist(id: id, name: name)) }
            let remove = try c.parameters.strings("songIndexToRemove").map { text throws(SubsonicError) -> Int in
                guard let i = Int(text) else { throw SubsonicError.invalid("songIndexToRemove") }
                return i
            }
            if !remove.isEmpty, let items = try c.library.playlist(id: id)?.items {
                // Indexes name positions before this request: remove from the end.
                for index in Set(remove).sorted(by: >) where items.indices.contains(index) {
                    try c.library.record(.removePlaylistItem(id: id, itemId: items[index].itemId))
                }
            }
            let add = try c.parameters.strings("songIdToAdd").map { text throws(SubsonicError) in try songUID(c, text) }
            if !add.isEmpty { try c.library.record(.addToPlaylist(id: id, uids: add, index: nil)) }
            c.environment.publish(.playlistChanged(id: id))
            return .node(nil)
        }
        t["deletePlaylist"] = { c in
            let id = try playlistID(c, try c.parameters.required("id"))
            try c.library.record(.deletePlaylist(id: id))
            c.environment.publish(.playlistDeleted(id: id))
            return .node(nil)
        }
    }

    static func playlistID(_ c: Call, _ text: String) throws -> String {
        guard case .playlist(let id) = ID(text), try c.library.playlist(id: id) != nil else { throw SubsonicError.notFound("playlist") }
        return id
    }

    static func playlistNode(_ c: Call, id: String, name: String, count: Int, durationMs: Int) -> Node {
        let date = ISODate.value(c.environment.startedAt)
        return Node("playlist", [("id", .string(ID.ofPlaylist(id))), ("name", .string(name)), ("owner", .string(c.user)),
                                 ("public", false), ("songCount", .int(count)), ("duration", .int((durationMs + 500) / 1000)),
                                 ("created", date), ("changed", date)])
    }

    /// A playlist with its songs (`entry`); items whose track this library lacks are left out.
    static func playlist(_ c: Call, _ id: String) throws -> Node {
        guard let playlist = try c.library.playlist(id: id) else { throw SubsonicError.notFound("playlist") }
        let tracks = playlist.items.compactMap(\.track)
        let shapes = try c.shapes.prepared(c.library, tracks)
        var n = playlistNode(c, id: id, name: playlist.name, count: tracks.count, durationMs: tracks.reduce(0) { $0 + ($1.durationMs ?? 0) })
        n.add(list: "entry", tracks.map { shapes.song($0, name: "entry") })
        return n
    }
}
