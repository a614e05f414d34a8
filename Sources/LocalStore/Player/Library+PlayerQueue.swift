import Foundation
import GRDB
import OmniModel

/// The player's queue as saved in the library (migration `v5-player`).
public struct SavedPlayerQueue: Sendable, Equatable {
    /// The entries in queue order.
    public var entries: [QueueEntry]
    /// The entry that was playing or paused, if any.
    public var currentEntryId: Int64?
    /// Where in it, in milliseconds.
    public var positionMs: Int
    /// 0...100.
    public var volume: Int
    public var repeatMode: RepeatMode
    public var shuffle: Bool
    public var consume: Bool
    /// The play order while shuffling, as entry ids.
    public var shuffleOrder: [Int64]

    public init(entries: [QueueEntry] = [], currentEntryId: Int64? = nil, positionMs: Int = 0, volume: Int = 100,
                repeatMode: RepeatMode = .off, shuffle: Bool = false, consume: Bool = false, shuffleOrder: [Int64] = []) {
        self.entries = entries
        self.currentEntryId = currentEntryId
        self.positionMs = positionMs
        self.volume = volume
        self.repeatMode = repeatMode
        self.shuffle = shuffle
        self.consume = consume
        self.shuffleOrder = shuffleOrder
    }
}

extension Library {
    /// The saved queue (empty on a new library).
    ///
    /// - Throws: `StoreError` when SQLite fails. Blocking; any thread.
    public func savedPlayerQueue() throws(StoreError) -> SavedPlayerQueue {
        try read("reading the play queue") { db in
            var saved = SavedPlayerQueue()
            saved.entries = try Row.fetchAll(db, sql: "SELECT id, uid FROM playerQueueEntry ORDER BY position").map {
                QueueEntry(id: $0[0], uid: TrackUID(rawValue: $0[1]))
            }
            if let row = try Row.fetchOne(db, sql: """
                SELECT currentEntryId, positionMs, volume, repeatMode, shuffle, consume, shuffleOrder FROM playerState WHERE id = 1
                """) {
                saved.currentEntryId = row[0]
                saved.positionMs = row[1]
                saved.volume = min(100, max(0, row[2] as Int))
                saved.repeatMode = RepeatMode(rawValue: row[3]) ?? .off
                saved.shuffle = row[4]
                saved.consume = row[5]
                let order: String = row[6]
                saved.shuffleOrder = (try? JSONDecoder().decode([Int64].self, from: Data(order.utf8))) ?? []
            }
            return saved
        }
    }

    /// Replaces the saved queue and state, in one transaction.
    ///
    /// - Parameter previous: the entries the library holds now (what the last save wrote), when
    ///   the caller knows them: only the rows from the first position where `queue` differs are
    ///   rewritten. Nil rewrites every row.
    /// - Throws: `StoreError` when SQLite fails. Blocking; any thread.
    public func savePlayerQueue(_ queue: SavedPlayerQueue, replacing previous: [QueueEntry]? = nil) throws(StoreError) {
        let order = String(decoding: (try? JSONEncoder().encode(queue.shuffleOrder)) ?? Data("[]".utf8), as: UTF8.self)
        var kept = 0
        if let previous {
            let common = min(previous.count, queue.entries.count)
            while kept < common, previous[kept] == queue.entries[kept] { kept += 1 }
        }
        let unchanged = kept == queue.entries.count && kept == (previous?.count ?? -1)
        try write("saving the play queue") { db in
            if !unchanged {
                if kept == 0 {
                    try db.execute(sql: "DELETE FROM playerQueueEntry")
                } else {
                    try db.execute(sql: "DELETE FROM playerQueueEntry WHERE position >= ?", arguments: [kept])
                }
                if kept < queue.entries.count {
                    // One statement over a JSON array of `[id, uid]` pairs: binding three
                    // arguments per row through GRDB cost more than SQLite's own insert (10,000
                    // rows for MPD's `add ""`).
                    var rows = "["
                    for position in kept..<queue.entries.count {
                        let entry = queue.entries[position]
                        if position > kept { rows += "," }
                        rows += "[\(entry.id),"
                        JSONText.appendQuoted(entry.uid.rawValue, to: &rows)
                        rows += "]"
                    }
                    rows += "]"
                    try db.execute(sql: """
                        INSERT INTO playerQueueEntry (id, position, uid)
                        SELECT json_extract(value, '$[0]'), ? + key, json_extract(value, '$[1]') FROM json_each(?)
                        """, arguments: [kept, rows])
                }
            }
            try db.execute(sql: """
                UPDATE playerState SET currentEntryId = ?, positionMs = ?, volume = ?, repeatMode = ?, shuffle = ?,
                consume = ?, shuffleOrder = ? WHERE id = 1
                """, arguments: [queue.currentEntryId, queue.positionMs, queue.volume, queue.repeatMode.rawValue,
                                 queue.shuffle, queue.consume, order])
        }
    }

    /// Saves only the current entry and position (cheap; called while playing).
    ///
    /// - Throws: `StoreError` when SQLite fails. Blocking; any thread.
    public func savePlayerPosition(currentEntryId: Int64?, positionMs: Int) throws(StoreError) {
        try write("saving the play position") { db in
            try db.execute(sql: "UPDATE playerState SET currentEntryId = ?, positionMs = ? WHERE id = 1",
                           arguments: [currentEntryId, positionMs])
        }
    }
}

extension Library {
    /// The tracks with these uids that the library has, by uid (one read; for rendering a queue).
    ///
    /// - Throws: `StoreError` when SQLite fails. Blocking; any thread.
    public func tracks(uids: [TrackUID]) throws(StoreError) -> [TrackUID: TrackRecord] {
        try read("reading tracks") { db in
            var out: [TrackUID: TrackRecord] = [:]
            for (uid, record) in try Self.fetchTracks(db, uids: Set(uids.map(\.rawValue))) { out[TrackUID(rawValue: uid)] = record }
            return out
        }
    }

    /// Which of these uids the library has (one read of the uid index; no track rows decoded:
    /// queueing ten thousand songs checks them without building ten thousand records).
    ///
    /// - Throws: `StoreError` when SQLite fails. Blocking; any thread.
    public func existingTrackUIDs(_ uids: [TrackUID]) throws(StoreError) -> Set<TrackUID> {
        guard !uids.isEmpty else { return [] }
        return try read("reading track uids") { db in
            let found = try String.fetchAll(db.cachedStatement(sql: "SELECT uid FROM track WHERE uid IN (SELECT value FROM json_each(?))"),
                                            arguments: [JSONText.array(Array(Set(uids.map(\.rawValue))))])
            return Set(found.map { TrackUID(rawValue: $0) })
        }
    }
}

extension Library {
    /// The planned plays, soonest first.
    ///
    /// - Throws: `StoreError` when SQLite fails. Blocking; any thread.
    public func playerSchedules() throws(StoreError) -> [PlayerSchedule] {
        try read("reading the player's schedule") { db in
            try Row.fetchAll(db, sql: "SELECT id, at, sourceKind, sourceId FROM playerSchedule ORDER BY at, id").map { row in
                let kind: String = row[2]
                return PlayerSchedule(id: row[0], at: row[1], playlist: kind == "playlist" ? row[3] : nil,
                                      savedSearch: kind == "savedSearch" ? row[3] : nil)
            }
        }
    }

    /// Saves a planned play.
    ///
    /// - Throws: `StoreError` (`.invalid` when it names neither a playlist nor a saved search).
    public func addPlayerSchedule(_ schedule: PlayerSchedule, createdAt: Date = Date()) throws(StoreError) {
        let kind: String, target: String
        if let playlist = schedule.playlist { (kind, target) = ("playlist", playlist) } else if let saved = schedule.savedSearch {
            (kind, target) = ("savedSearch", saved)
        } else {
            throw StoreError(.invalid, message: "a schedule plays a playlist or a saved search")
        }
        try write("saving a schedule") { db in
            try db.execute(sql: "INSERT INTO playerSchedule (id, at, sourceKind, sourceId, createdAt) VALUES (?, ?, ?, ?, ?)",
                           arguments: [schedule.id, schedule.at, kind, target, createdAt.timeIntervalSince1970])
        }
    }

    /// Removes a planned play. Returns false when there was none with that id.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    @discardableResult
    public func removePlayerSchedule(id: String) throws(StoreError) -> Bool {
        try write("removing a schedule") { db in
            try db.execute(sql: "DELETE FROM playerSchedule WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }
}
