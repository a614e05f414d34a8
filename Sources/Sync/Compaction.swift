import LocalStore
import Foundation
import GRDB
import OmniModel

/// Which operations of a stream prefix still matter: the "snapshot" part of snapshot + tail.
///
/// A new device that pulls only the survivors ends with the same materialized state as one that
/// applied every operation; so does a device whose cursor is anywhere inside the prefix (the
/// dropped operations are each beaten by a survivor under the merge rules of decision 0007):
///
/// - LWW registers keep their newest operation: override per (uid, field), rating per uid,
///   sticker per (uid, name), star per album and per artist,
///   name per playlist (create/rename), delete per playlist, position per playlist item (moves;
///   the add is kept while the item lives), saved search per id (save/delete);
/// - play counters keep, per (uid, device), the operation with the largest count and the one
///   with the latest play;
/// - each playlist keeps its newest edit of any kind (its `editStamp`, which decides whether a
///   delete hides it);
/// - schedules keep their newest save or delete, each run its newest record; every listen of
///   the play history is kept (decision 0028);
/// - removals are the tombstones: the favorite adds and the playlist item adds/moves they
///   remove are dropped; a removal itself is kept until every device has acknowledged it
///   (`tombstonesThrough`), then it is collected too.
///
/// Collecting a removal is safe once every active device has acknowledged past it: each has
/// applied it (so none still shows the item), and none can push the add it removes again (a
/// device acknowledges only when nothing it sent awaits an acknowledgement). A device added
/// later bootstraps from a snapshot that holds neither.
public enum Compaction {
    /// The sequence numbers to keep among `ops` (every operation of a stream up to a horizon).
    /// Removals at or before `tombstonesThrough` are collected (0: keep every removal), unless
    /// they remove an id in `addedLater` (added again after the compacted part: only a client
    /// that reuses ids or delivers out of causal order makes that; the removal still decides).
    public static func survivors(_ ops: [(seq: Int64, op: UserOperation)], tombstonesThrough: Int64 = 0,
                                 addedLater: Set<String> = []) -> Set<Int64> {
        var keep = Set<Int64>()
        var newest: [String: (HLCTimestamp, Int64)] = [:]
        func newer(_ key: String, _ seq: Int64, _ op: UserOperation) {
            if let current = newest[key], current.0 >= op.hlc { return }
            newest[key] = (op.hlc, seq)
        }
        var largestCount: [String: (Int, HLCTimestamp, Int64)] = [:]
        var latestPlay: [String: (Int64, HLCTimestamp, Int64)] = [:]
        var removedFavorites = Set<String>(), removedItems = Set<String>()
        var collectible: [(seq: Int64, ids: [String])] = []
        for (_, op) in ops {
            switch op.payload {
            case .favoriteRemove(let ids): removedFavorites.formUnion(ids)
            case .playlistItemRemove(let id): removedItems.insert(id)
            default: break
            }
        }
        for (seq, op) in ops {
            let target = op.target
            switch op.payload {
            case .trackOverride(let field, _): newer("o\u{1}\(target)\u{1}\(field.rawValue)", seq, op)
            case .rating: newer("r\u{1}\(target)", seq, op)
            case .played(let count, let last):
                let key = "\(target)\u{1}\(op.device)"
                if let c = largestCount[key], (c.0, c.1) >= (count, op.hlc) {} else { largestCount[key] = (count, op.hlc, seq) }
                if let l = latestPlay[key], (l.0, l.1) >= (last, op.hlc) {} else { latestPlay[key] = (last, op.hlc, seq) }
            case .favoriteAdd(let id):
                if !removedFavorites.contains(id) { keep.insert(seq) }
            case .favoriteRemove(let ids):
                if seq > tombstonesThrough { keep.insert(seq) } else { collectible.append((seq, ids)) }
            case .playlistItemRemove(let id):
                if seq > tombstonesThrough { keep.insert(seq) } else { collectible.append((seq, [id])) }
            case .playlistCreate, .playlistRename:
                newer("n\u{1}\(target)", seq, op)
            case .playlistDelete:
                newer("d\u{1}\(target)", seq, op)
            case .playlistItemAdd(let id, _, _):
                if !removedItems.contains(id) { keep.insert(seq) }
            case .playlistItemMove(let id, _):
                if !removedItems.contains(id) { newer("m\u{1}\(id)", seq, op) }
            case .searchSave, .searchDelete:
                newer("s\u{1}\(target)", seq, op)
            case .sticker(let name, _):
                newer("k\u{1}\(target)\u{1}\(name)", seq, op)
            case .albumFavorite:
                newer("fa\u{1}\(target)", seq, op)
            case .artistFavorite:
                newer("fr\u{1}\(target)", seq, op)
            case .scheduleSave, .scheduleDelete:
                newer("c\u{1}\(target)", seq, op)
            case .scheduleRun(let run):
                // LWW per run (schedule, planned instant, device), like the `scheduleRun` row.
                newer("u\u{1}\(target)\u{1}\(run.plannedMs)\u{1}\(op.device)", seq, op)
            case .listen:
                // The play history is grow-only: every listen is kept.
                keep.insert(seq)
            }
            switch op.kind {
            case .playlistCreate, .playlistRename, .playlistItemAdd, .playlistItemMove, .playlistItemRemove:
                newer("e\u{1}\(target)", seq, op)
            default: break
            }
        }
        for (_, value) in newest { keep.insert(value.1) }
        for (_, value) in largestCount { keep.insert(value.2) }
        for (_, value) in latestPlay { keep.insert(value.2) }
        // A removal is collected only when no add of what it removes survives: not one after
        // the compacted part, not one kept in it for another reason (a playlist's newest edit).
        if !collectible.isEmpty {
            var survivingAdds = addedLater
            for (seq, op) in ops where keep.contains(seq) {
                switch op.payload {
                case .favoriteAdd(let id), .playlistItemAdd(let id, _, _): survivingAdds.insert(id)
                default: break
                }
            }
            for removal in collectible where removal.ids.contains(where: survivingAdds.contains) { keep.insert(removal.seq) }
        }
        return keep
    }
}

extension Compaction {
    /// The sequence numbers to delete from a stream prefix given as stored (`seq`, canonical
    /// JSON body), in sequence order. Every backend's `compact` is this plus its own delete.
    ///
    /// - Parameters:
    ///   - tail: the operations after the prefix (read only when tombstones may be collected:
    ///     their adds keep the removals of the same ids).
    ///   - tombstonesThrough: the cursor every active device has acknowledged.
    public static func removable(_ rows: [(seq: Int64, body: [UInt8])], tail: [(seq: Int64, body: [UInt8])] = [],
                                 tombstonesThrough: Int64 = 0) throws(SyncError) -> [Int64] {
        let decoder = JSONDecoder()
        func decode(_ row: (seq: Int64, body: [UInt8])) throws(SyncError) -> UserOperation {
            do {
                return try decoder.decode(UserOperation.self, from: Data(row.body))
            } catch {
                throw SyncError(.storage, message: "operation \(row.seq) of the stream cannot be read; nothing was compacted",
                                detail: "\(error)")
            }
        }
        var ops: [(seq: Int64, op: UserOperation)] = []
        ops.reserveCapacity(rows.count)
        for row in rows { ops.append((row.seq, try decode(row))) }
        var addedLater = Set<String>()
        for row in tail {
            switch try decode(row).payload {
            case .favoriteAdd(let id), .playlistItemAdd(let id, _, _): addedLater.insert(id)
            default: break
            }
        }
        let keep = survivors(ops, tombstonesThrough: tombstonesThrough, addedLater: addedLater)
        return ops.lazy.map(\.seq).filter { !keep.contains($0) }
    }
}

extension SQLiteSyncStorage {
    public func compact(userID: Int64, through: Int64) async throws(SyncError) -> (kept: Int, removed: Int) {
        do {
            return try await pool.write { db in
                let rows = try Row.fetchAll(db, sql: "SELECT seq, body FROM op WHERE userId = ? AND seq <= ? ORDER BY seq",
                                            arguments: [userID, through])
                    .map { (seq: $0[0] as Int64, body: Array($0[1] as Data)) }
                // No active device: nobody can hold what a removal removes.
                let acknowledged = try Int64.fetchOne(db, sql: "SELECT min(seen) FROM device WHERE userId = ? AND revokedAt IS NULL",
                                                      arguments: [userID]) ?? through
                let floor = min(acknowledged, through)
                let tail = floor > 0
                    ? try Row.fetchAll(db, sql: "SELECT seq, body FROM op WHERE userId = ? AND seq > ? ORDER BY seq", arguments: [userID, through])
                        .map { (seq: $0[0] as Int64, body: Array($0[1] as Data)) }
                    : []
                let removable = try Compaction.removable(rows, tail: tail, tombstonesThrough: floor)
                let delete = try db.cachedStatement(sql: "DELETE FROM op WHERE userId = ? AND seq = ?")
                for seq in removable { try delete.execute(arguments: [userID, seq]) }
                if !removable.isEmpty { try SQLiteSyncStorage.recount(userID: userID, db) }
                try db.execute(sql: "UPDATE user SET compactedAt = ? WHERE id = ?", arguments: [Int64(Date().timeIntervalSince1970), userID])
                return (kept: rows.count - removable.count, removed: removable.count)
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.storage, message: "compacting the stream of user \(userID) failed", detail: "\(error)")
        }
    }

    public func streams() async throws(SyncError) -> [StreamHead] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, name, head FROM user ORDER BY id")
                    .map { StreamHead(userID: $0[0], user: $0[1], head: $0[2]) }
            }
        } catch {
            throw SyncError(.storage, message: "listing users failed", detail: "\(error)")
        }
    }
}
