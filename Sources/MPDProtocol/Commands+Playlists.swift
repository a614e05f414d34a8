import Foundation
import LocalStore
import OmniModel

/// Stored playlists are omnisonicd's playlists (by name); every change goes through the one
/// write path (`Library.record`), so it syncs like a change made in the web UI.
extension Commands {
    static func registerPlaylists(_ add: Register) {
        add("listplaylists", 0, 0, false) { c in try c.writePlaylistNames() }
        add("listplaylist", 1, 2, false) { c in
            let items = try c.playlistItems(c.arguments[0])
            let index = try c.songs()
            for item in try c.slice(items, 1) { c.response.add("file", index.song(uid: item.uid)?.uri ?? item.track?.path ?? item.uid.rawValue) }
        }
        add("listplaylistinfo", 1, 2, false) { c in
            let items = try c.playlistItems(c.arguments[0])
            let index = try c.songs()
            for item in try c.slice(items, 1) {
                if let song = index.song(uid: item.uid) ?? item.track.map({ Song(uri: $0.path, modified: 0, track: $0) }) {
                    song.write(into: &c.response, tags: c.session.tags)
                } else {
                    c.response.add("file", item.uid.rawValue)
                }
            }
        }
        add("load", 1, 3, false) { c in
            let items = try c.slice(try c.playlistItems(c.arguments[0]), 1)
            let at = try c.text(2).map { _ in try c.insertPosition(2) }
            try c.player.enqueue(items.filter { $0.track != nil }.map(\.uid), at: at)
        }
        add("save", 1, 2, false) { c in
            let mode = c.text(1) ?? "create"
            let existing = try c.playlistID(c.arguments[0])
            let uids = c.player.status().queue.map(\.uid)
            switch mode {
            case "create":
                guard existing == nil else { throw MPDError(.exist, "Playlist already exists") }
                let id = try c.createPlaylist(c.arguments[0])
                if !uids.isEmpty { try c.record(.addToPlaylist(id: id, uids: uids, index: nil)) }
            case "append", "replace":
                guard let id = existing else { throw MPDError.noExist("No such playlist") }
                if mode == "replace" { try c.clearPlaylist(id) }
                if !uids.isEmpty { try c.record(.addToPlaylist(id: id, uids: uids, index: nil)) }
            default:
                throw MPDError.arg("Unrecognized save mode: \(mode)")
            }
        }
        add("rm", 1, 1, false) { c in try c.record(.deletePlaylist(id: try c.requirePlaylist(c.arguments[0]))) }
        add("rename", 2, 2, false) { c in
            let id = try c.requirePlaylist(c.arguments[0])
            guard try c.playlistID(c.arguments[1]) == nil else { throw MPDError(.exist, "Playlist already exists") }
            try c.record(.renamePlaylist(id: id, name: c.arguments[1]))
        }
        add("playlistadd", 2, 3, false) { c in
            let songs = try c.songs().songs(at: c.arguments[1])
            let id = try c.playlistID(c.arguments[0]) ?? c.createPlaylist(c.arguments[0])
            let at = try c.text(2).map { _ in try c.unsigned(2) }
            try c.record(.addToPlaylist(id: id, uids: songs.map(\.track.uid), index: at))
        }
        add("playlistclear", 1, 1, false) { c in try c.clearPlaylist(try c.requirePlaylist(c.arguments[0])) }
        add("playlistdelete", 2, 2, false) { c in
            let id = try c.requirePlaylist(c.arguments[0])
            let items = try c.playlistItems(c.arguments[0])
            let range = try c.range(1)
            guard range.lowerBound < items.count else { throw MPDError.arg("Bad song index") }
            for i in range.clamped(to: items.indices).reversed() {
                try c.record(.removePlaylistItem(id: id, itemId: items[i].itemId))
            }
        }
        add("playlistmove", 3, 3, false) { c in
            let id = try c.requirePlaylist(c.arguments[0])
            let items = try c.playlistItems(c.arguments[0])
            let from = try c.unsigned(1), to = try c.unsigned(2)
            guard from < items.count, to < items.count else { throw MPDError.arg("Bad song index") }
            try c.record(.movePlaylistItem(id: id, itemId: items[from].itemId, index: to))
        }
    }
}

extension Call {
    /// `playlist: NAME` and `Last-Modified:` for each playlist (names as the web UI shows them).
    func writePlaylistNames() throws {
        for p in try library.playlists() {
            response.add("playlist", p.name)
            // Playlists keep no modification time; the daemon's start stands in for it.
            response.add("Last-Modified", Song.isoDate(Int64(door.environment.startedAt.timeIntervalSince1970)))
        }
    }

    /// The id of the first playlist named `name` (names are not unique in omnisonicd).
    func playlistID(_ name: String) throws -> String? {
        try library.playlists().first { $0.name == name }?.id
    }

    func requirePlaylist(_ name: String) throws -> String {
        guard let id = try playlistID(name) else { throw MPDError.noExist("No such playlist") }
        return id
    }

    func playlistItems(_ name: String) throws -> [PlaylistItem] {
        guard let playlist = try library.playlist(id: try requirePlaylist(name)) else { throw MPDError.noExist("No such playlist") }
        return playlist.items
    }

    func createPlaylist(_ name: String) throws -> String {
        guard !name.contains("/"), !name.contains("\n") else { throw MPDError.arg("Bad playlist name") }
        guard let id = try record(.createPlaylist(name: name)).first?.target else { throw MPDError.system("cannot create the playlist") }
        return id
    }

    func clearPlaylist(_ id: String) throws {
        for item in try library.playlist(id: id)?.items ?? [] {
            try record(.removePlaylistItem(id: id, itemId: item.itemId))
        }
    }

    /// The items in the optional range argument at `i`.
    func slice<T>(_ items: [T], _ i: Int) throws -> [T] {
        guard text(i) != nil else { return items }
        return Array(items[try range(i).clamped(to: items.indices)])
    }

    /// `findaddpl` / `searchaddpl`.
    func addToPlaylist(named name: String, foldCase: Bool) throws {
        let rest = Call(session: session, arguments: Array(arguments.dropFirst()))
        try rest.find(foldCase: foldCase) { positions, index in
            let id = try playlistID(name) ?? createPlaylist(name)
            if !positions.isEmpty { try record(.addToPlaylist(id: id, uids: positions.map { index.songs[$0].track.uid }, index: nil)) }
        }
    }
}
