import Foundation
import GRDB
import OmniModel

// # User data: the one write path for user changes
//
// `record(_:at:)` turns a `UserMutation` into operations and `apply(remote:)` takes operations
// from other devices; both run `OperationApplier` — the same merge — inside one write
// transaction that also appends to `opLog` and advances the hybrid logical clock kept in `meta`.
// Reads (`userState`, `playlists`, `savedSearches`, ...) see only materialized tables.
// Decision record: docs/decisions/0007-operations-and-overrides.md.
//
// Thread safety: like the rest of `Library`, every method is synchronous, may block on I/O and
// is safe from any thread (GRDB serializes writes); call it off the cooperative pool.

/// One entry of the local operation log, with its local sequence number (the sync cursor).
public struct LoggedOperation: Sendable, Equatable {
    /// Position in this device's log (increasing, local to this database).
    public var seq: Int64
    public var operation: UserOperation
}

/// What the user has said about one track.
public struct TrackUserState: Sendable, Equatable, Codable {
    public var uid: TrackUID
    public var favorite: Bool
    /// 0...5, nil when unrated.
    public var rating: Int?
    /// Completed plays, summed over devices.
    public var playCount: Int
    /// The last completed play on any device.
    public var lastPlayed: Date?
    /// The edited fields and their values (resets are not listed).
    public var overrides: [TrackField: TrackFieldValue]
    /// The editable tags as the file has them (what a reset restores); nil when no track has the uid.
    public var fileTags: TrackFileTags?
}

extension Library {
    /// This device's id (generated once, when the library was created).
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func deviceID() throws(StoreError) -> String {
        try read("reading the device id") { db in try Self.deviceID(db) }
    }

    /// Records a user change: ticks the clock, makes the operations, appends them to the log and
    /// applies them, all in one transaction. The one write path for user changes.
    ///
    /// - Parameters:
    ///   - mutation: what the user asked for.
    ///   - now: the wall-clock time of the change (injected for tests).
    /// - Returns: the operations recorded, in order (empty when nothing changes, such as
    ///   favoriting a favorite). `createPlaylist` and `saveSearch(id: nil, …)` give the new id as
    ///   the first operation's `target`; `addToPlaylist` gives the new item ids in the payloads.
    /// - Throws: `StoreError` `.invalid` for a bad value, `.notFound` for an unknown track,
    ///   playlist, item or saved search, `.diskFull`/`.database` when SQLite fails (nothing is written).
    ///
    /// Synchronous; any thread.
    @discardableResult
    public func record(_ mutation: UserMutation, at now: Date = Date()) throws(StoreError) -> [UserOperation] {
        let wallMs = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        return try write("saving a change") { db in
            var clock = try Self.clock(db, wallMs: wallMs)
            var planner = MutationPlanner(db: db, clock: clock, wallMs: wallMs)
            let ops = try planner.plan(mutation)
            clock = planner.clock
            var applier = OperationApplier(db: db)
            for op in ops { try applier.apply(op) }
            try applier.finish(now: now.timeIntervalSince1970)
            try Self.saveClock(clock, db)
            return ops
        }
    }

    /// Merges operations from other devices (the sync client's entry point): appends the new ones
    /// to the log and applies them with the same merge function as local changes; duplicates
    /// and invalid operations are skipped (every replica skips the same ones). Advances this
    /// device's clock past every timestamp received.
    ///
    /// - Returns: how many operations were new.
    /// - Throws: `StoreError` when SQLite fails; the whole batch is then rolled back.
    ///
    /// Synchronous; any thread.
    @discardableResult
    public func apply(remote operations: [UserOperation], at now: Date = Date()) throws(StoreError) -> Int {
        guard !operations.isEmpty else { return 0 }
        return try write("merging changes from other devices") { db in
            try Self.merge(operations, in: db, at: now).count
        }
    }

    /// The log after `localSeq`, oldest first (for the sync client to push, or to replay).
    ///
    /// - Throws: `StoreError` when SQLite fails or a stored operation cannot be decoded.
    ///
    /// Synchronous; any thread.
    public func operations(after localSeq: Int64, limit: Int = 1000) throws(StoreError) -> [LoggedOperation] {
        try read("reading the operation log") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT seq, hlc, device, kind, target, payload FROM opLog WHERE seq > ? ORDER BY seq LIMIT ?
                """, arguments: [localSeq, max(0, limit)])
            return try rows.map { row in
                guard let hlc = HLCTimestamp(clock: row[1], device: row[2]), let kind = UserOperation.Kind(rawValue: row[3]) else {
                    throw StoreError(.database, message: "a logged operation cannot be read", detail: "seq \(row[0] as Int64)")
                }
                let payload = try UserOperation.Payload(kind: kind, json: Data((row[5] as String).utf8))
                return LoggedOperation(seq: row[0], operation: UserOperation(hlc: hlc, target: row[4], payload: payload))
            }
        }
    }

    /// The user's data about one track (also for uids with no track yet: operations wait for it).
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func userState(uid: TrackUID) throws(StoreError) -> TrackUserState {
        try read("reading a track's user data") { db in
            let key = uid.rawValue
            let row = try Row.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM favoriteItem WHERE uid = :uid),
                       (SELECT value FROM trackRating WHERE uid = :uid),
                       (SELECT coalesce(sum(max(min(count, \(UserDataValidation.maxPlayCount)), 0)), 0) FROM trackPlay WHERE uid = :uid),
                       (SELECT min(max(lastPlayed), \(HLCTimestamp.maxWallMs)) FROM trackPlay WHERE uid = :uid),
                       (SELECT fileTags FROM track WHERE uid = :uid)
                """, arguments: ["uid": key])!
            let lastPlayed: Int64? = row[3]
            return TrackUserState(
                uid: uid, favorite: row[0], rating: row[1], playCount: row[2],
                lastPlayed: lastPlayed.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                overrides: try TrackOverrides.load(uid: key, in: db),
                fileTags: TrackFileTags.decode(row[4]))
        }
    }

    // MARK: - Clock and identity

    static func deviceID(_ db: Database) throws -> String {
        guard let id = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'device'")) else {
            throw StoreError(.database, message: "the library has no device id")
        }
        return id
    }

    /// The device's clock, continuing from the last timestamp saved in `meta`.
    static func clock(_ db: Database, wallMs: Int64) throws -> HybridLogicalClock {
        let device = try deviceID(db)
        let last = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'hlc'"))
            .flatMap { HLCTimestamp(encoded: $0) }
        return HybridLogicalClock(device: device, last: last, wallClock: { wallMs })
    }

    static func saveClock(_ clock: HybridLogicalClock, _ db: Database) throws {
        guard let last = clock.last else { return }
        try db.cachedStatement(sql: "INSERT INTO meta(key, value) VALUES ('hlc', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .execute(arguments: [last.encoded])
    }
}

extension Library {
    /// The one merge of operations from elsewhere, inside a write transaction: each valid
    /// operation goes through `OperationApplier` (invalid ones are skipped, as on every device),
    /// the hybrid logical clock moves past the newest applied one, and the operations that were
    /// new here are returned. Used by `apply(remote:)` and by the sync client's `applyPulled`.
    static func merge(_ operations: [UserOperation], in db: Database, at now: Date) throws -> [UserOperation] {
        let wallMs = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        var clock = try clock(db, wallMs: wallMs)
        var applier = OperationApplier(db: db)
        var newest: HLCTimestamp?
        for op in operations {
            do {
                try OperationApplier.validate(op)
            } catch {
                continue
            }
            if try applier.apply(op), newest == nil || op.hlc > newest! { newest = op.hlc }
        }
        try applier.finish(now: now.timeIntervalSince1970)
        if let newest {
            clock.receive(capped(newest, wallMs: wallMs))
            try saveClock(clock, db)
        }
        return applier.applied
    }

    /// How far ahead of this device's wall clock a received timestamp may move its clock
    /// (decision 0017): 5 minutes, the sync server's default refusal horizon.
    public static let maxClockSkewMs: Int64 = 5 * 60 * 1000

    /// `remote`, or — when it lies more than `maxClockSkewMs` ahead of `wallMs` — the horizon.
    ///
    /// A far-future operation is still applied (every replica applies the same set, so they
    /// converge), but this device's clock does not jump there: an HLC drags every later local
    /// edit to the largest timestamp it has seen, so one device with a clock a day ahead (or a
    /// hostile one) would otherwise make every replica stamp a day ahead for ever. The cost is
    /// bounded to the far-future operation's own registers: a local edit of the same field
    /// made before the wall clock reaches its stamp loses to it.
    static func capped(_ remote: HLCTimestamp, wallMs: Int64) -> HLCTimestamp {
        let horizon = min(max(wallMs, 0), HLCTimestamp.maxWallMs - maxClockSkewMs) + maxClockSkewMs
        return remote.wallMs > horizon ? HLCTimestamp(wallMs: horizon, counter: 0, device: remote.device) : remote
    }
}
