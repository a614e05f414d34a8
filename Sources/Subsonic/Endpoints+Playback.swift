import Foundation
import LocalStore
import OmniModel

// What is playing, the jukebox (the daemon's own ALSA player, through the same actions as the
// web API), and the saved play queue and bookmarks.
extension SubsonicAPI {
    static func registerPlayback(_ t: inout [String: Endpoint]) {
        t["getNowPlaying"] = { c in
            struct Entry { var uid: TrackUID; var client: String; var since: Date; var player: Int }
            var entries: [Entry] = []
            if let status = await c.environment.actions.playerStatus(), status.state == .playing, let current = status.current {
                entries.append(Entry(uid: current.uid, client: "omnisonicd", since: Date(), player: 0))
            }
            for (i, entry) in c.state.nowPlayingEntries().enumerated() {
                if case .song(let uid) = ID(entry.songID) { entries.append(Entry(uid: uid, client: entry.client, since: entry.since, player: i + 1)) }
            }
            let tracks = try c.library.orderedTracks(uids: entries.map(\.uid))
            let byUID = Dictionary(tracks.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
            let shapes = try c.shapes.prepared(c.library, tracks)
            var n = Node("nowPlaying")
            n.add(list: "entry", entries.compactMap { entry in
                guard let track = byUID[entry.uid] else { return nil }
                var e = shapes.song(track, name: "entry")
                e.set("username", .string(c.user))
                e.set("minutesAgo", .int(max(0, Int(Date().timeIntervalSince(entry.since) / 60))))
                e.set("playerId", .int(entry.player))
                e.set("playerName", .string(entry.client))
                return e
            })
            return .node(n)
        }
        t["jukeboxControl"] = { c in try await jukebox(c) }
        t["savePlayQueue"] = { c in
            let ids = c.parameters.strings("id")
            let current = c.parameters.string("current")
            let position = try c.parameters.int("position", default: 0, in: 0...Int(Int32.max))
            try c.state.update { saved in
                saved.playQueue = ids.isEmpty ? nil : DoorState.PlayQueue(ids: ids, current: current, positionMs: position,
                                                                          changed: Date().timeIntervalSince1970,
                                                                          changedBy: c.parameters.string("c") ?? "unknown")
            }
            return .node(nil)
        }
        t["getPlayQueue"] = { c in
            // No saved queue: an empty one (OpenSubsonic requires `playQueue`).
            let queue = c.state.playQueue
                ?? DoorState.PlayQueue(ids: [], current: nil, positionMs: 0, changed: c.environment.startedAt.timeIntervalSince1970,
                                       changedBy: "omnisonicd")
            let uids = queue.ids.compactMap { text -> TrackUID? in if case .song(let uid) = ID(text) { uid } else { nil } }
            let tracks = try c.library.orderedTracks(uids: uids)
            let shapes = try c.shapes.prepared(c.library, tracks)
            var n = Node("playQueue")
            n.set("current", queue.current.map(Value.string))
            n.set("position", .int(queue.positionMs))
            n.set("username", .string(c.user))
            n.set("changed", ISODate.value(Date(timeIntervalSince1970: queue.changed)))
            n.set("changedBy", .string(queue.changedBy))
            n.add(list: "entry", tracks.map { shapes.song($0, name: "entry") })
            return .node(n)
        }
        t["getBookmarks"] = { c in
            let marks = c.state.bookmarks
            let tracks = try c.library.orderedTracks(uids: marks.keys.sorted().compactMap { if case .song(let uid) = ID($0) { uid } else { nil } })
            let shapes = try c.shapes.prepared(c.library, tracks)
            var n = Node("bookmarks")
            n.add(list: "bookmark", tracks.compactMap { track in
                guard let mark = marks[ID.ofSong(track.uid)] else { return nil }
                var b = Node("bookmark", [("position", .int(mark.positionMs)), ("username", .string(c.user))])
                b.set("comment", mark.comment.map(Value.string))
                b.set("created", ISODate.value(Date(timeIntervalSince1970: mark.created)))
                b.set("changed", ISODate.value(Date(timeIntervalSince1970: mark.changed)))
                b.add(shapes.song(track, name: "entry"))
                return b
            })
            return .node(n)
        }
        t["createBookmark"] = { c in
            let id = try c.parameters.required("id")
            _ = try songUID(c, id)
            guard let position = try c.parameters.optionalInt("position") else { throw SubsonicError.missing("position") }
            let now = Date().timeIntervalSince1970
            try c.state.update { saved in
                let created = saved.bookmarks[id]?.created ?? now
                saved.bookmarks[id] = DoorState.Bookmark(positionMs: max(0, position), comment: c.parameters.string("comment"),
                                                         created: created, changed: now)
            }
            return .node(nil)
        }
        t["deleteBookmark"] = { c in
            let id = try c.parameters.required("id")
            guard c.state.bookmarks[id] != nil else { throw SubsonicError.notFound("bookmark") }
            try c.state.update { $0.bookmarks[id] = nil }
            return .node(nil)
        }
    }

    /// `jukeboxControl`: get, status, set, start, stop, skip, add, clear, remove, shuffle, setGain.
    static func jukebox(_ c: Call) async throws -> Reply {
        let actions = c.environment.actions
        guard await actions.playerStatus() != nil else { throw SubsonicError(.notAuthorized, "this daemon runs no player") }
        let p = c.parameters
        let action = try p.required("action")
        func songs() throws -> [TrackUID] {
            try p.strings("id").map { text throws(SubsonicError) in try songUID(c, text) }
        }
        var status: PlayerStatus
        switch action {
        case "get", "status":
            status = await actions.playerStatus()!
        case "set":
            let uids = try songs()
            status = try await actions.player(uids.isEmpty ? .clear : .enqueue(.tracks(uids), replace: true, index: nil, play: false))
        case "add":
            let uids = try songs()
            guard !uids.isEmpty else { throw SubsonicError.missing("id") }
            status = try await actions.player(.enqueue(.tracks(uids), replace: false, index: nil, play: false))
        case "start": status = try await actions.player(.play(index: nil))
        case "stop": status = try await actions.player(.pause)
        case "skip":
            guard let index = try p.optionalInt("index") else { throw SubsonicError.missing("index") }
            status = try await actions.player(.play(index: index))
            let offset = try p.int("offset", default: 0, in: 0...Int(Int32.max))
            if offset > 0 { status = try await actions.player(.seek(positionMs: offset * 1000)) }
        case "clear": status = try await actions.player(.clear)
        case "remove":
            guard let index = try p.optionalInt("index") else { throw SubsonicError.missing("index") }
            status = try await actions.player(.remove(index: index))
        case "shuffle": status = try await actions.player(.modes(repeatMode: nil, shuffle: true, consume: nil))
        case "setGain":
            guard let text = p.string("gain"), let gain = Double(text), gain.isFinite else { throw SubsonicError.missing("gain") }
            status = try await actions.player(.volume(percent: Int((min(max(gain, 0), 1) * 100).rounded())))
        default:
            throw SubsonicError(.generic, "unknown jukebox action \(action)")
        }
        var n = Node(action == "get" ? "jukeboxPlaylist" : "jukeboxStatus")
        n.set("currentIndex", .int(status.currentIndex ?? -1))
        n.set("playing", .bool(status.state == .playing))
        n.set("gain", .double(Double(status.volume) / 100))
        n.set("position", .int(status.positionMs / 1000))
        if action == "get" {
            let tracks = try c.library.orderedTracks(uids: status.queue.map(\.uid))
            let byUID = Dictionary(tracks.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
            let shapes = try c.shapes.prepared(c.library, tracks)
            n.add(list: "entry", status.queue.compactMap { byUID[$0.uid] }.map { shapes.song($0, name: "entry") })
        }
        return .node(n)
    }

    /// What omnisonicd has none of: the right empty shapes (a client breaks on an error here),
    /// and a plain error for the changes it cannot keep.
    static func registerEmpty(_ t: inout [String: Endpoint]) {
        let empty: [(String, String, String)] = [
            ("getInternetRadioStations", "internetRadioStations", "internetRadioStation"),
            ("getPodcasts", "podcasts", "channel"),
            ("getNewestPodcasts", "newestPodcasts", "episode"),
            ("getShares", "shares", "share"),
            ("getChatMessages", "chatMessages", "chatMessage"),
            ("getVideos", "videos", "video"),
        ]
        for (method, name, element) in empty {
            t[method] = { _ in
                var n = Node(name)
                n.add(list: element, [])
                return .node(n)
            }
        }
        for method in ["createInternetRadioStation", "updateInternetRadioStation", "deleteInternetRadioStation",
                       "createPodcastChannel", "deletePodcastChannel", "refreshPodcasts", "downloadPodcastEpisode",
                       "deletePodcastEpisode", "createShare", "updateShare", "deleteShare", "addChatMessage",
                       "createUser", "updateUser", "deleteUser", "changePassword"] {
            t[method] = { _ in throw SubsonicError(.notAuthorized, "omnisonicd does not keep this (\(method)); see its README") }
        }
    }
}
