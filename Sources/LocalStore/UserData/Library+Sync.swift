import Foundation
import GRDB
import OmniModel

/// Where the sync client stands: what it pulled and what it pushed (migration `v4-sync`).
public struct SyncProgress: Sendable, Equatable {
    /// The server sequence number pulled up to.
    public var cursor: Int64
    /// The local `opLog.seq` up to which this device's operations were acknowledged.
    public var pushed: Int64
    /// This device's operations after `pushed` (not acknowledged yet).
    public var pending: Int
}

// # Sync bookkeeping
//
// The sync client (Sources/Sync) pushes this device's own operations (`opLog.device` = the
// device id, or a former one of a copied library: Library+DeviceIdentity.swift) after `pushed`, and pulls the server's stream after `cursor`. Pulled operations are
// merged by the same function as local ones and the cursor moves in the same transaction, so a
// crash never skips or re-counts a batch. Decision record: docs/decisions/0013-sync.md.
extension Library {
    /// The sync client's progress for `server` (a different server than the one stored starts
    /// from zero: cursor 0, nothing pushed).
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func syncProgress(server: String) throws(StoreError) -> SyncProgress {
        try write("reading the sync state") { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'server'")
            if stored != server {
                try db.execute(sql: "DELETE FROM syncState")
                try db.execute(sql: "INSERT INTO syncState(key, value) VALUES ('server', ?)", arguments: [server])
            }
            return try Self.progress(db)
        }
    }

    /// This device's operations not yet acknowledged by the server, oldest first.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func unpushedOperations(limit: Int) throws(StoreError) -> [LoggedOperation] {
        try read("reading the operations to push") { db in
            let own = try Self.ownOperations(db)
            let pushed = try Self.value(db, "pushed")
            let rows = try Row.fetchAll(db, sql: """
                SELECT seq, hlc, device, kind, target, payload FROM opLog WHERE \(own.sql) AND seq > ? ORDER BY seq LIMIT ?
                """, arguments: own.arguments + [pushed, max(0, limit)])
            return try rows.map { row in
                guard let hlc = HLCTimestamp(clock: row[1], device: row[2]), let kind = UserOperation.Kind(rawValue: row[3]) else {
                    throw StoreError(.database, message: "a logged operation cannot be read", detail: "seq \(row[0] as Int64)")
                }
                let payload = try UserOperation.Payload(kind: kind, json: Data((row[5] as String).utf8))
                return LoggedOperation(seq: row[0], operation: UserOperation(hlc: hlc, target: row[4], payload: payload))
            }
        }
    }

    /// Records that the server acknowledged this device's operations up to local `seq`.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    @discardableResult
    public func markPushed(through seq: Int64) throws(StoreError) -> SyncProgress {
        try write("saving the sync state") { db in
            try Self.setValue(db, "pushed", max(seq, try Self.value(db, "pushed")))
            return try Self.progress(db)
        }
    }

    /// Merges operations pulled from the server (like `apply(remote:)`) and moves the cursor to
    /// `cursor`, in one transaction.
    ///
    /// - Returns: the operations that were new here (to announce as events).
    /// - Throws: `StoreError` when SQLite fails; nothing is applied and the cursor stays.
    ///
    /// Synchronous; any thread.
    public func applyPulled(_ operations: [UserOperation], cursor: Int64, at now: Date = Date()) throws(StoreError) -> [UserOperation] {
        return try write("merging changes from the sync server") { db in
            let applied = try Self.merge(operations, in: db, at: now)
            try Self.setValue(db, "cursor", max(cursor, try Self.value(db, "cursor")))
            return applied
        }
    }

    static func progress(_ db: Database) throws -> SyncProgress {
        let own = try ownOperations(db)
        let pushed = try value(db, "pushed")
        let pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM opLog WHERE \(own.sql) AND seq > ?",
                                       arguments: own.arguments + [pushed]) ?? 0
        return SyncProgress(cursor: try value(db, "cursor"), pushed: pushed, pending: pending)
    }

    private static func value(_ db: Database, _ key: String) throws -> Int64 {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM syncState WHERE key = ?"), arguments: [key])
            .flatMap { Int64($0) } ?? 0
    }

    private static func setValue(_ db: Database, _ key: String, _ value: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO syncState(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .execute(arguments: [key, String(value)])
    }
}

extension Library {
    /// Forgets the sync progress (cursor 0, nothing pushed) but keeps the server: used when the
    /// server has less than this device pulled (restored from a backup). Everything is pulled
    /// and pushed again; both are idempotent.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    @discardableResult
    public func resetSyncProgress() throws(StoreError) -> SyncProgress {
        try write("resetting the sync state") { db in
            try db.execute(sql: "DELETE FROM syncState WHERE key IN ('cursor', 'pushed')")
            return try Self.progress(db)
        }
    }
}

extension Library {
    /// Every commit that writes the operation log (a user change, merged operations from other
    /// devices), as one element per commit; no element while nothing changes (the sync client
    /// waits on it instead of polling, decision 0025).
    ///
    /// The observation is GRDB's `DatabaseRegionObservation` on `opLog`: it sees the writes of
    /// this process's library (every user change goes through it), not of another process.
    /// Ending the iteration (or cancelling its task) stops the observation. Starting it waits for
    /// the writer briefly (a running write transaction): call it off the cooperative pool.
    public func operationLogChanges() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let cancellable = DatabaseRegionObservation(tracking: Table("opLog"))
            .start(in: writer, onError: { _ in continuation.finish() }, onChange: { _ in continuation.yield() })
        continuation.onTermination = { _ in cancellable.cancel() }
        return stream
    }
}
