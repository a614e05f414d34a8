import Foundation
import GRDB
import OmniModel

/// The one merge function: applies operations, local or remote, to the op log and the
/// materialized tables inside the caller's write transaction.
///
/// Every statement here is idempotent and commutes with the others: each materialized row is a
/// function of the *set* of operations seen (LWW registers compare `stamp`s, counters take the
/// max, removals leave tombstones that later-arriving adds respect), so any order of delivery,
/// with duplicates, gives the same tables. `docs/decisions/0007-operations-and-overrides.md`
/// explains each kind.
///
/// Not thread-safe by itself: it lives inside one GRDB write closure.
struct OperationApplier {
    let db: Database
    /// Track uids whose overrides changed: their `track` columns are recomputed by `finish()`.
    private(set) var overridden: Set<String> = []
    /// Operations newly applied (duplicates excluded).
    private(set) var applied: [UserOperation] = []

    init(db: Database) {
        self.db = db
    }

    /// Checks an operation's payload the way every replica does (`UserOperation.validate`). An
    /// invalid remote operation is skipped (every replica skips it the same way, so they still
    /// converge).
    static func validate(_ op: UserOperation) throws(StoreError) {
        do {
            try op.validate()
        } catch {
            throw StoreError(error)
        }
    }

    /// Appends `op` to the log and merges it. Returns false for a duplicate (already in the log).
    @discardableResult
    mutating func apply(_ op: UserOperation) throws -> Bool {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO opLog(hlc, device, kind, target, payload) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [op.hlc.clock, op.device, op.kind.rawValue, op.target,
                                     String(decoding: try op.payload.jsonData(), as: UTF8.self)])
        guard db.changesCount > 0 else { return false }
        try merge(op)
        applied.append(op)
        return true
    }

    /// Recomputes the tracks whose overrides changed (once each).
    mutating func finish(now: Double) throws {
        for uid in overridden.sorted() {
            try TrackOverrides.refresh(uid: uid, in: db, now: now)
        }
        overridden = []
    }

    /// `CASE` that keeps the greater of a stored stamp column and the new one.
    private static func newer(_ column: String) -> String {
        "CASE WHEN \(column) IS NULL OR excluded.\(column) > \(column) THEN excluded.\(column) ELSE \(column) END"
    }

    private mutating func merge(_ op: UserOperation) throws {
        let stamp = op.hlc.encoded
        let target = op.target
        switch op.payload {
        case .trackOverride(let field, let value):
            let stored = try value.map { try TrackOverrides.validate(field, $0) }.map(TrackOverrides.encode)
            try db.cachedStatement(sql: """
                INSERT INTO trackOverride(uid, field, value, stamp) VALUES (?, ?, ?, ?)
                ON CONFLICT(uid, field) DO UPDATE SET value = excluded.value, stamp = excluded.stamp
                WHERE excluded.stamp > trackOverride.stamp
                """).execute(arguments: [target, field.rawValue, stored, stamp])
            if db.changesCount > 0 { overridden.insert(target) }

        case .favoriteAdd(let itemId):
            // Two adds with one item id (only a faulty client makes them): the newer names the
            // track, so the row does not depend on arrival order.
            try db.cachedStatement(sql: """
                INSERT INTO favoriteItem(itemId, uid, stamp)
                SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM favoriteTombstone WHERE itemId = ?)
                ON CONFLICT(itemId) DO UPDATE SET uid = excluded.uid, stamp = excluded.stamp WHERE excluded.stamp > favoriteItem.stamp
                """).execute(arguments: [itemId, target, stamp, itemId])

        case .favoriteRemove(let itemIds):
            for itemId in itemIds {
                try db.cachedStatement(sql: """
                    INSERT INTO favoriteTombstone(itemId, uid, stamp) VALUES (?, ?, ?)
                    ON CONFLICT(itemId) DO UPDATE SET uid = excluded.uid, stamp = excluded.stamp WHERE excluded.stamp > favoriteTombstone.stamp
                    """).execute(arguments: [itemId, target, stamp])
                try db.cachedStatement(sql: "DELETE FROM favoriteItem WHERE itemId = ?").execute(arguments: [itemId])
            }

        case .rating(let value):
            try db.cachedStatement(sql: """
                INSERT INTO trackRating(uid, value, stamp) VALUES (?, ?, ?)
                ON CONFLICT(uid) DO UPDATE SET value = excluded.value, stamp = excluded.stamp
                WHERE excluded.stamp > trackRating.stamp
                """).execute(arguments: [target, value, stamp])

        case .played(let count, let lastPlayedMs):
            try db.cachedStatement(sql: """
                INSERT INTO trackPlay(uid, device, count, lastPlayed) VALUES (?, ?, ?, ?)
                ON CONFLICT(uid, device) DO UPDATE SET count = max(count, excluded.count),
                    lastPlayed = max(lastPlayed, excluded.lastPlayed)
                """).execute(arguments: [target, op.device, count, lastPlayedMs])

        case .playlistCreate(let name), .playlistRename(let name):
            try db.cachedStatement(sql: """
                INSERT INTO playlist(id, name, nameStamp, editStamp) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    name = CASE WHEN nameStamp IS NULL OR excluded.nameStamp > nameStamp THEN excluded.name ELSE name END,
                    nameStamp = \(Self.newer("nameStamp")),
                    editStamp = \(Self.newer("editStamp"))
                """).execute(arguments: [target, name, stamp, stamp])

        case .playlistDelete:
            try db.cachedStatement(sql: """
                INSERT INTO playlist(id, deleteStamp) VALUES (?, ?)
                ON CONFLICT(id) DO UPDATE SET deleteStamp = \(Self.newer("deleteStamp"))
                """).execute(arguments: [target, stamp])

        case .playlistItemAdd(let itemId, let uid, let position):
            try touchPlaylist(target, stamp: stamp)
            // The add is authoritative for the item's playlist and track; its position is one
            // more write to the item's LWW position register. Two adds with one item id (only a
            // faulty client makes them): the newer wins, so the row does not depend on arrival order.
            try db.cachedStatement(sql: """
                INSERT INTO playlistItem(itemId, playlistId, uid, position, positionStamp, addStamp)
                SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM playlistItemTombstone WHERE itemId = ?)
                ON CONFLICT(itemId) DO UPDATE SET
                    playlistId = CASE WHEN addStamp IS NULL OR excluded.addStamp > addStamp THEN excluded.playlistId ELSE playlistId END,
                    uid = CASE WHEN addStamp IS NULL OR excluded.addStamp > addStamp THEN excluded.uid ELSE uid END,
                    addStamp = \(Self.newer("addStamp")),
                    position = CASE WHEN excluded.positionStamp > positionStamp THEN excluded.position ELSE position END,
                    positionStamp = \(Self.newer("positionStamp"))
                """).execute(arguments: [itemId, target, uid.rawValue, position, stamp, stamp, itemId])

        case .playlistItemMove(let itemId, let position):
            try touchPlaylist(target, stamp: stamp)
            // A move may arrive before its add (then the row waits, invisible, for the add; until
            // then moves naming different playlists, which only a faulty client makes, keep the
            // smallest id so that the row does not depend on arrival order).
            try db.cachedStatement(sql: """
                INSERT INTO playlistItem(itemId, playlistId, uid, position, positionStamp, addStamp)
                SELECT ?, ?, NULL, ?, ?, NULL WHERE NOT EXISTS (SELECT 1 FROM playlistItemTombstone WHERE itemId = ?)
                ON CONFLICT(itemId) DO UPDATE SET
                    playlistId = CASE WHEN addStamp IS NULL THEN min(playlistId, excluded.playlistId) ELSE playlistId END,
                    position = CASE WHEN excluded.positionStamp > positionStamp THEN excluded.position ELSE position END,
                    positionStamp = \(Self.newer("positionStamp"))
                """).execute(arguments: [itemId, target, position, stamp, itemId])

        case .playlistItemRemove(let itemId):
            try touchPlaylist(target, stamp: stamp)
            try db.cachedStatement(sql: """
                INSERT INTO playlistItemTombstone(itemId, playlistId, stamp) VALUES (?, ?, ?)
                ON CONFLICT(itemId) DO UPDATE SET playlistId = excluded.playlistId, stamp = excluded.stamp
                WHERE excluded.stamp > playlistItemTombstone.stamp
                """).execute(arguments: [itemId, target, stamp])
            try db.cachedStatement(sql: "DELETE FROM playlistItem WHERE itemId = ?").execute(arguments: [itemId])

        case .searchSave(let definition):
            let filters = definition.filters.flatMap { JSONText.encode($0) }
            try db.cachedStatement(sql: """
                INSERT INTO savedSearch(id, name, query, filters, sort, descending, limitCount, deleted, stamp)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, query = excluded.query, filters = excluded.filters,
                    sort = excluded.sort, descending = excluded.descending, limitCount = excluded.limitCount,
                    deleted = 0, stamp = excluded.stamp
                WHERE excluded.stamp > savedSearch.stamp
                """).execute(arguments: [target, definition.name, definition.query, filters, definition.sort,
                                         definition.descending, definition.limit, stamp])

        case .sticker(let name, let value):
            // LWW per (uid, name); a delete is a stored NULL (a tombstone that beats older sets).
            try db.cachedStatement(sql: """
                INSERT INTO trackSticker(uid, name, value, stamp) VALUES (?, ?, ?, ?)
                ON CONFLICT(uid, name) DO UPDATE SET value = excluded.value, stamp = excluded.stamp
                WHERE excluded.stamp > trackSticker.stamp
                """).execute(arguments: [target, name, value, stamp])
        case .scheduleSave(let definition):
            try db.cachedStatement(sql: """
                INSERT INTO schedule(id, definition, deleted, stamp) VALUES (?, ?, 0, ?)
                ON CONFLICT(id) DO UPDATE SET definition = excluded.definition, deleted = 0, stamp = excluded.stamp
                WHERE excluded.stamp > schedule.stamp
                """).execute(arguments: [target, JSONText.encode(definition), stamp])

        case .scheduleDelete:
            try db.cachedStatement(sql: """
                INSERT INTO schedule(id, definition, deleted, stamp) VALUES (?, NULL, 1, ?)
                ON CONFLICT(id) DO UPDATE SET definition = NULL, deleted = 1, stamp = excluded.stamp
                WHERE excluded.stamp > schedule.stamp
                """).execute(arguments: [target, stamp])

        case .scheduleRun(let run):
            try db.cachedStatement(sql: """
                INSERT INTO scheduleRun(scheduleId, plannedMs, device, handledMs, outcome, reason, stamp) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(scheduleId, plannedMs, device) DO UPDATE SET handledMs = excluded.handledMs, outcome = excluded.outcome,
                    reason = excluded.reason, stamp = excluded.stamp
                WHERE excluded.stamp > scheduleRun.stamp
                """).execute(arguments: [target, run.plannedMs, op.device, run.handledMs, run.outcome.rawValue, run.reason, stamp])

        case .listen(let listen):
            // Grow-only: each listen has its own id (the target); a duplicate changes nothing. Two
            // listens with one id (only a faulty client makes them): the newer wins, so the row
            // does not depend on arrival order.
            try db.cachedStatement(sql: """
                INSERT INTO playHistory(id, uid, playedMs, device, client, durationMs, title, artist, album, genre, stamp)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET uid = excluded.uid, playedMs = excluded.playedMs, device = excluded.device,
                    client = excluded.client, durationMs = excluded.durationMs, title = excluded.title, artist = excluded.artist,
                    album = excluded.album, genre = excluded.genre, stamp = excluded.stamp
                WHERE excluded.stamp > playHistory.stamp
                """).execute(arguments: [target, listen.uid?.rawValue, listen.playedMs, op.device, listen.client, listen.durationMs,
                                         listen.title, listen.artist, listen.album, listen.genre, stamp])

        case .albumFavorite(let on):
            // LWW per album key: a star and an unstar are two writes of one flag.
            try db.cachedStatement(sql: """
                INSERT INTO albumFavorite(albumKey, favorite, stamp) VALUES (?, ?, ?)
                ON CONFLICT(albumKey) DO UPDATE SET favorite = excluded.favorite, stamp = excluded.stamp
                WHERE excluded.stamp > albumFavorite.stamp
                """).execute(arguments: [target, on, stamp])

        case .artistFavorite(let on):
            try db.cachedStatement(sql: """
                INSERT INTO artistFavorite(nameKey, favorite, stamp) VALUES (?, ?, ?)
                ON CONFLICT(nameKey) DO UPDATE SET favorite = excluded.favorite, stamp = excluded.stamp
                WHERE excluded.stamp > artistFavorite.stamp
                """).execute(arguments: [target, on, stamp])

        case .searchDelete:
            // A delete clears the definition, so the row is the same whichever order it came in.
            try db.cachedStatement(sql: """
                INSERT INTO savedSearch(id, deleted, stamp) VALUES (?, 1, ?)
                ON CONFLICT(id) DO UPDATE SET name = NULL, query = NULL, filters = NULL, sort = NULL,
                    descending = 0, limitCount = NULL, deleted = 1, stamp = excluded.stamp
                WHERE excluded.stamp > savedSearch.stamp
                """).execute(arguments: [target, stamp])
        }
    }

    /// Records an edit of a playlist's items (an edit newer than a delete brings the playlist back).
    private func touchPlaylist(_ id: String, stamp: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO playlist(id, editStamp) VALUES (?, ?)
            ON CONFLICT(id) DO UPDATE SET editStamp = \(Self.newer("editStamp"))
            """).execute(arguments: [id, stamp])
    }
}
