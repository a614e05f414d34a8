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
///   name per playlist (create/rename), delete per playlist, position per playlist item (moves;
///   the add is kept while the item lives), saved search per id (save/delete);
/// - play counters keep, per (uid, device), the operation with the largest count and the one
///   with the latest play;
/// - each playlist keeps its newest edit of any kind (its `editStamp`, which decides whether a
///   delete hides it);
/// - removals are kept (they are the tombstones); the favorite adds and the playlist item
///   adds/moves they remove are dropped.
///
/// Tombstone horizon: removals are never dropped by compaction (a device offline for any time
/// may still hold the item they remove). They are small (an id) and one per removal.
public enum Compaction {
    /// The sequence numbers to keep among `ops` (every operation of a stream up to a horizon).
    public static func survivors(_ ops: [(seq: Int64, op: UserOperation)]) -> Set<Int64> {
        var keep = Set<Int64>()
        var newest: [String: (HLCTimestamp, Int64)] = [:]
        func newer(_ key: String, _ seq: Int64, _ op: UserOperation) {
            if let current = newest[key], current.0 >= op.hlc { return }
            newest[key] = (op.hlc, seq)
        }
        var largestCount: [String: (Int, HLCTimestamp, Int64)] = [:]
        var latestPlay: [String: (Int64, HLCTimestamp, Int64)] = [:]
        var removedFavorites = Set<String>(), removedItems = Set<String>()
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
            case .favoriteRemove, .playlistItemRemove:
                keep.insert(seq)
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
        return keep
    }
}

extension Compaction {
    /// The sequence numbers to delete from a stream prefix given as stored (`seq`, canonical
    /// JSON body), in sequence order. Every backend's `compact` is this plus its own delete.
    public static func removable(_ rows: [(seq: Int64, body: [UInt8])]) throws(SyncError) -> [Int64] {
        let decoder = JSONDecoder()
        var ops: [(seq: Int64, op: UserOperation)] = []
        ops.reserveCapacity(rows.count)
        for row in rows {
            do {
                ops.append((row.seq, try decoder.decode(UserOperation.self, from: Data(row.body))))
            } catch {
                throw SyncError(.storage, message: "operation \(row.seq) of the stream cannot be read; nothing was compacted",
                                detail: "\(error)")
            }
        }
        let keep = survivors(ops)
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
                let removable = try Compaction.removable(rows)
                let delete = try db.cachedStatement(sql: "DELETE FROM op WHERE userId = ? AND seq = ?")
                for seq in removable { try delete.execute(arguments: [userID, seq]) }
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
