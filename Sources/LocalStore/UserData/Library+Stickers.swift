import GRDB
import OmniModel

// Stickers: named values an MPD client keeps on a song (`sticker set song URI NAME VALUE`).
// They are user data like a rating: set through `record(.setSticker(...))`, one `track.sticker`
// operation each, merged last-writer-wins per (uid, name), synced. `rating`, `favorite` and
// `playcount` are never stored here: the MPD door maps them onto the track's own user data.

extension Library {
    /// The stickers of one track (deleted ones excluded), by name.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func stickers(uid: TrackUID) throws(StoreError) -> [String: String] {
        try read("reading a track's stickers") { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT name, value FROM trackSticker WHERE uid = ? AND value IS NOT NULL"),
                                        arguments: [uid.rawValue]) {
                out[row[0]] = row[1]
            }
            return out
        }
    }

    /// Every track that has the sticker `name`, with its value (`sticker find`).
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func stickers(named name: String) throws(StoreError) -> [TrackUID: String] {
        try read("reading stickers") { db in
            var out: [TrackUID: String] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT uid, value FROM trackSticker WHERE name = ? AND value IS NOT NULL"),
                                        arguments: [name]) {
                out[TrackUID(rawValue: row[0])] = row[1]
            }
            return out
        }
    }
}
