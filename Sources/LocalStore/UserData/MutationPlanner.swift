import Foundation
import GRDB
import OmniModel

/// Turns one `UserMutation` into operations, reading what the user saw (the favorite items of a
/// track, the neighbours of a playlist position, this device's play count) inside the write
/// transaction that will apply them. It only *makes* operations; `OperationApplier` applies them.
struct MutationPlanner {
    let db: Database
    var clock: HybridLogicalClock
    let wallMs: Int64

    init(db: Database, clock: HybridLogicalClock, wallMs: Int64) {
        self.db = db
        self.clock = clock
        self.wallMs = wallMs
    }

    /// A new random id (64 bits, 16 hex digits) for a playlist, an item or a saved search.
    static func newID() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    private mutating func op(_ target: String, _ payload: UserOperation.Payload) -> UserOperation {
        UserOperation(hlc: clock.tick(), target: target, payload: payload)
    }

    mutating func plan(_ mutation: UserMutation) throws -> [UserOperation] {
        switch mutation {
        case .setOverrides(let uid, let fields):
            try requireTrack(uid)
            guard !fields.isEmpty else { return [] }
            var ops: [UserOperation] = []
            for field in fields.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                let value = try fields[field]!.map { v throws(StoreError) in try TrackOverrides.validate(field, v) }
                ops.append(op(uid.rawValue, .trackOverride(field: field, value: value)))
            }
            return ops

        case .favorite(let uid, let on):
            try requireTrack(uid)
            let items = try String.fetchAll(db.cachedStatement(sql: "SELECT itemId FROM favoriteItem WHERE uid = ? ORDER BY itemId"),
                                            arguments: [uid.rawValue])
            if on {
                return items.isEmpty ? [op(uid.rawValue, .favoriteAdd(itemId: Self.newID()))] : []
            }
            return items.isEmpty ? [] : [op(uid.rawValue, .favoriteRemove(itemIds: items))]

        case .favoriteAlbum(let key, let on):
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM album WHERE albumKey = ?)"), arguments: [key]) == true else {
                throw StoreError(.notFound, message: "no such album")
            }
            let current = try Bool.fetchOne(db.cachedStatement(sql: "SELECT favorite FROM albumFavorite WHERE albumKey = ?"), arguments: [key]) ?? false
            return current == on ? [] : [op(key, .albumFavorite(on))]

        case .favoriteArtist(let key, let on):
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM artist WHERE nameKey = ?)"), arguments: [key]) == true else {
                throw StoreError(.notFound, message: "no such artist")
            }
            let current = try Bool.fetchOne(db.cachedStatement(sql: "SELECT favorite FROM artistFavorite WHERE nameKey = ?"), arguments: [key]) ?? false
            return current == on ? [] : [op(key, .artistFavorite(on))]

        case .rate(let uid, let rating):
            try requireTrack(uid)
            if let rating, !(0...5).contains(rating) { throw StoreError(.invalid, message: "a rating is between 0 and 5") }
            return [op(uid.rawValue, .rating(rating))]

        case .played(let uid):
            return try plan(.completedPlay(uid, client: PlayClient.api))

        case .completedPlay(let uid, let client):
            try requireTrack(uid)
            guard PlayClient.isValid(client) else {
                throw StoreError(.invalid, message: "a client is 1 to 32 lowercase letters, digits or dashes, starting with a letter")
            }
            let device = clock.device
            // Clamped in SQL: a row stored before the bound may hold any Int64 (issue 18: 2^63-1
            // made `count + 1` trap). At the bound the count stays there; the time still moves.
            let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT max(min(count, ?), 0) FROM trackPlay WHERE uid = ? AND device = ?"),
                                         arguments: [UserDataValidation.maxPlayCount, uid.rawValue, device]) ?? 0
            var ops = [op(uid.rawValue, .played(count: min(count + 1, UserDataValidation.maxPlayCount), lastPlayedMs: wallMs))]
            // The history keeps the names the track has now: it outlives the file, and stats
            // over a year need no join with tracks that may be gone.
            if let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT title, artist, album, json_extract(genres, '$[0]'), coalesce(durationMs, 0) FROM track WHERE uid = ?
                """), arguments: [uid.rawValue]) {
                let listen = PlayListen(uid: uid, playedMs: wallMs, durationMs: max(0, row[4] as Int64), client: client,
                                        title: String((row[0] as String).unicodeScalars.prefix(500)),
                                        artist: (row[1] as String?).map { String($0.unicodeScalars.prefix(500)) },
                                        album: (row[2] as String?).map { String($0.unicodeScalars.prefix(500)) },
                                        genre: (row[3] as String?).map { String($0.unicodeScalars.prefix(500)) })
                if listen.problem() == nil { ops.append(op(Self.newID(), .listen(listen))) }
            }
            return ops

        case .createPlaylist(let name):
            let name = try UserDataValidation.playlistName(name)
            return [op(Self.newID(), .playlistCreate(name: name))]

        case .renamePlaylist(let id, let name):
            let name = try UserDataValidation.playlistName(name)
            try requirePlaylist(id)
            return [op(id, .playlistRename(name: name))]

        case .deletePlaylist(let id):
            try requirePlaylist(id)
            return [op(id, .playlistDelete)]

        case .addToPlaylist(let id, let uids, let index):
            try requirePlaylist(id)
            guard !uids.isEmpty else { return [] }
            guard uids.count <= 10_000 else { throw StoreError(.invalid, message: "at most 10,000 tracks can be added at once") }
            for uid in Set(uids) { try requireTrack(uid) }
            let items = try Self.items(db, playlist: id)
            let at = min(max(index ?? items.count, 0), items.count)
            let (before, after) = Self.neighbours(items.map(\.position), at: at)
            let keys = try positionKeys(before, after, count: uids.count)
            return zip(uids, keys).map { uid, key in
                op(id, .playlistItemAdd(itemId: Self.newID(), uid: uid, position: key))
            }

        case .movePlaylistItem(let id, let itemId, let index):
            try requirePlaylist(id)
            var items = try Self.items(db, playlist: id)
            guard let from = items.firstIndex(where: { $0.itemId == itemId }) else {
                throw StoreError(.notFound, message: "no item \(itemId) in playlist \(id)")
            }
            items.remove(at: from)
            let at = min(max(index, 0), items.count)
            if at == from { return [] }
            let (before, after) = Self.neighbours(items.map(\.position), at: at)
            let key = try positionKeys(before, after, count: 1)[0]
            return [op(id, .playlistItemMove(itemId: itemId, position: key))]

        case .removePlaylistItem(let id, let itemId):
            try requirePlaylist(id)
            guard try Self.items(db, playlist: id).contains(where: { $0.itemId == itemId }) else {
                throw StoreError(.notFound, message: "no item \(itemId) in playlist \(id)")
            }
            return [op(id, .playlistItemRemove(itemId: itemId))]

        case .saveSearch(let id, let definition):
            let definition = try UserDataValidation.savedSearch(definition)
            if let id { try requireSearch(id) }
            return [op(id ?? Self.newID(), .searchSave(definition))]

        case .deleteSearch(let id):
            try requireSearch(id)
            return [op(id, .searchDelete)]

        case .setSticker(let uid, let name, let value):
            try requireTrack(uid)
            try UserDataValidation.sticker(name: name, value: value)
            let current = try Row.fetchAll(db.cachedStatement(sql: "SELECT name, value FROM trackSticker WHERE uid = ? AND value IS NOT NULL"),
                                           arguments: [uid.rawValue])
            let stored = current.first { ($0[0] as String) == name }.map { $0[1] as String }
            if value == nil, stored == nil { return [] }
            if value != nil, stored == nil, current.count >= UserDataValidation.maxStickersPerTrack {
                throw StoreError(.invalid, message: "a track holds at most \(UserDataValidation.maxStickersPerTrack) stickers")
            }
            return [op(uid.rawValue, .sticker(name: name, value: value))]
        case .saveSchedule(let id, let definition):
            if let problem = definition.problem() { throw StoreError(.invalid, message: problem) }
            guard TimeZone(identifier: definition.timeZone) != nil else {
                throw StoreError(.invalid, message: "unknown time zone \(definition.timeZone)")
            }
            if let id { try requireSchedule(id) }
            if let kind = definition.sourceKind, let source = definition.sourceId {
                switch kind {
                case .playlist: try requirePlaylist(source)
                case .savedSearch: try requireSearch(source)
                case .album:
                    guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM album WHERE id = ?)"),
                                            arguments: [Int64(source) ?? -1]) == true else {
                        throw StoreError(.notFound, message: "no album \(source)")
                    }
                }
            }
            return [op(id ?? Self.newID(), .scheduleSave(definition))]

        case .deleteSchedule(let id):
            try requireSchedule(id)
            return [op(id, .scheduleDelete)]

        case .recordScheduleRun(let id, let run):
            return [op(id, .scheduleRun(run))]

        case .importListens(let listens):
            guard listens.count <= 50_000 else { throw StoreError(.invalid, message: "at most 50,000 listens can be imported at once") }
            var ops: [UserOperation] = []
            var seen = Set<String>()
            let exists = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM playHistory WHERE playedMs = ? AND title = ?)")
            let match = try db.cachedStatement(sql: """
                SELECT uid FROM track WHERE titleKey = ? AND (? IS NULL OR lower(artist) = lower(?)) ORDER BY id LIMIT 1
                """)
            for var listen in listens {
                if let problem = listen.problem() { throw StoreError(.invalid, message: problem) }
                let key = "\(listen.playedMs)\u{1}\(listen.title)"
                guard seen.insert(key).inserted,
                      try Bool.fetchOne(exists, arguments: [listen.playedMs, listen.title]) != true else { continue }
                if listen.uid == nil {
                    listen.uid = try String.fetchOne(match, arguments: [TextKey.fold(listen.title), listen.artist, listen.artist])
                        .map { TrackUID(rawValue: $0) }
                }
                ops.append(op(Self.newID(), .listen(listen)))
            }
            return ops
        }
    }

    /// The position keys just before and after index `at` of `positions` (sorted). When
    /// concurrent inserts left equal keys (ties ordered by item id), no key fits between two
    /// equal neighbours: the new key goes after the whole run of equal keys.
    static func neighbours(_ positions: [String], at: Int) -> (String?, String?) {
        let before = at > 0 ? positions[at - 1] : nil
        var after: String?
        var i = at
        while i < positions.count {
            if let before, !Array(before.utf8).lexicographicallyPrecedes(Array(positions[i].utf8)) { i += 1; continue }
            after = positions[i]
            break
        }
        return (before, after)
    }

    private func positionKeys(_ before: String?, _ after: String?, count: Int) throws(StoreError) -> [String] {
        do {
            return try PositionKey.between(before, after, count: count)
        } catch {
            throw StoreError(.database, message: "cannot place the item in the playlist", detail: "between \(before ?? "start") and \(after ?? "end"): \(error)")
        }
    }

    private func requireTrack(_ uid: TrackUID) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM track WHERE uid = ?)"), arguments: [uid.rawValue]) == true else {
            throw StoreError(.notFound, message: "no track \(uid)")
        }
    }

    private func requirePlaylist(_ id: String) throws {
        guard try Self.playlistVisible(db, id) else { throw StoreError(.notFound, message: "no playlist \(id)") }
    }

    private func requireSchedule(_ id: String) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM schedule WHERE id = ? AND deleted = 0)"),
                                arguments: [id]) == true else {
            throw StoreError(.notFound, message: "no schedule \(id)")
        }
    }

    private func requireSearch(_ id: String) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM savedSearch WHERE id = ? AND deleted = 0)"),
                                arguments: [id]) == true else {
            throw StoreError(.notFound, message: "no saved search \(id)")
        }
    }

    // MARK: - Shared reads of the materialized playlist state

    /// A playlist is visible unless deleted by a delete newer than its newest edit.
    static let visiblePlaylist = "(playlist.deleteStamp IS NULL OR playlist.editStamp > playlist.deleteStamp)"

    static func playlistVisible(_ db: Database, _ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM playlist WHERE id = ? AND \(visiblePlaylist))"),
                          arguments: [id]) == true
    }

    /// The visible items of a playlist, in order: added (not only moved), not removed, and added
    /// after the playlist's newest delete, by position key then item id.
    static func items(_ db: Database, playlist id: String) throws -> [(itemId: String, uid: String, position: String)] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT i.itemId, i.uid, i.position FROM playlistItem i JOIN playlist ON playlist.id = i.playlistId
            WHERE i.playlistId = ? AND i.addStamp IS NOT NULL
              AND (playlist.deleteStamp IS NULL OR i.addStamp > playlist.deleteStamp)
            ORDER BY i.position, i.itemId
            """), arguments: [id]).map { ($0[0], $0[1], $0[2]) }
    }
}
