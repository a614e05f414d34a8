import Foundation
import GRDB
import OmniModel

/// The default storage: one SQLite database (`<data>/sync.sqlite`, WAL) through GRDB.
///
/// Schema (migration `v1-sync-server`):
/// - `user(id, name UNIQUE, head)`: `head` is the stream's last sequence number, raised in the
///   appending transaction (the per-user counter);
/// - `device(id, userId, name, tokenHash UNIQUE, createdAt, revokedAt, seen, seenAt)`: `seen`
///   is the device's acknowledged cursor (migration `v2-device-seen`);
/// - `op(userId, seq, opId, body)`, primary key `(userId, seq)`, `UNIQUE(userId, opId)`: the
///   streams; `body` is the operation's canonical JSON.
/// - `user.opCount`, `user.byteCount`: what the stream holds now, for quotas; `deviceClaim(userId,
///   library, deviceId)`: which device (token) owns each library device id (migration
///   `v3-trust`, decision 0017).
///
/// The database file is created 0600 (`PrivateFiles`): SQLite gives its `-wal` and `-shm` the
/// database's mode.
///
/// GRDB's async `read`/`write` run on its own dispatch queues: the caller's task suspends and
/// the cooperative pool is never blocked. Writes are serialized by SQLite (one process).
public final class SQLiteSyncStorage: SyncStorage {
    let pool: DatabasePool

    /// Opens (creating and migrating) the database at `path`.
    public init(path: String) throws(SyncError) {
        do {
            try PrivateFiles.prepareDatabase(path)
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1-sync-server") { db in
                try db.execute(sql: """
                    CREATE TABLE user (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        head INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE device (
                        id INTEGER PRIMARY KEY,
                        userId INTEGER NOT NULL REFERENCES user(id),
                        name TEXT NOT NULL,
                        tokenHash TEXT NOT NULL UNIQUE,
                        createdAt INTEGER NOT NULL,
                        revokedAt INTEGER
                    );
                    CREATE TABLE op (
                        userId INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        opId TEXT NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (userId, seq),
                        UNIQUE (userId, opId)
                    ) WITHOUT ROWID;
                    """)
            }
            migrator.registerMigration("v2-device-seen") { db in
                try db.execute(sql: """
                    ALTER TABLE device ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE device ADD COLUMN seenAt INTEGER;
                    """)
            }
            migrator.registerMigration("v3-trust") { db in
                try db.execute(sql: """
                    ALTER TABLE user ADD COLUMN opCount INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE user ADD COLUMN byteCount INTEGER NOT NULL DEFAULT 0;
                    UPDATE user SET opCount = (SELECT count(*) FROM op WHERE op.userId = user.id),
                                    byteCount = (SELECT coalesce(sum(length(body)), 0) FROM op WHERE op.userId = user.id);
                    CREATE TABLE deviceClaim (
                        userId INTEGER NOT NULL,
                        library TEXT NOT NULL,
                        deviceId INTEGER NOT NULL,
                        PRIMARY KEY (userId, library)
                    ) WITHOUT ROWID;
                    """)
            }
            migrator.registerMigration("v4-device-binding") { db in
                // Decision 0017: one library device id per token (`device.library`), per-device
                // quotas (`device.opCount`/`byteCount`, from `op.deviceId`, the pushing device);
                // `lastSeenAt` and `user.compactedAt` for the administration page (0022).
                // Existing operations are attributed through the claims (an operation id ends
                // with its library device id, after 22 characters of clock).
                try db.execute(sql: """
                    ALTER TABLE device ADD COLUMN library TEXT;
                    ALTER TABLE device ADD COLUMN opCount INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE device ADD COLUMN byteCount INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE device ADD COLUMN lastSeenAt INTEGER;
                    ALTER TABLE user ADD COLUMN compactedAt INTEGER;
                    ALTER TABLE op ADD COLUMN deviceId INTEGER;
                    UPDATE op SET deviceId = (SELECT c.deviceId FROM deviceClaim c WHERE c.userId = op.userId AND c.library = substr(op.opId, 23));
                    UPDATE device SET opCount = (SELECT count(*) FROM op WHERE op.userId = device.userId AND op.deviceId = device.id),
                                      byteCount = (SELECT coalesce(sum(length(body)), 0) FROM op WHERE op.userId = device.userId AND op.deviceId = device.id);
                    """)
            }
            Self.registerAdministration(&migrator)
            try migrator.migrate(pool)
        } catch {
            throw SyncError(.storage, message: "cannot open the sync database at \(path)", detail: "\(error)")
        }
    }

    private func run<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (Database) throws -> T, write: Bool) async throws(SyncError) -> T {
        do {
            return write ? try await pool.write(body) : try await pool.read(body)
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.storage, message: "the sync database failed while \(doing)", detail: "\(error)")
        }
    }

    public func addDevice(user: String, name: String, tokenHash: String, now: Int64) async throws(SyncError) -> Int64 {
        try await run("adding a device", { db in
            try db.execute(sql: "INSERT INTO user(name) VALUES (?) ON CONFLICT(name) DO NOTHING", arguments: [user])
            let userID = try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE name = ?", arguments: [user])!
            try db.execute(sql: "INSERT INTO device(userId, name, tokenHash, createdAt) VALUES (?, ?, ?, ?)",
                           arguments: [userID, name, tokenHash, now])
            return db.lastInsertedRowID
        }, write: true)
    }

    public func listDevices() async throws(SyncError) -> [DeviceRecord] {
        try await run("listing devices", { db in
            try Row.fetchAll(db, sql: """
                SELECT device.id, user.name, device.name, device.createdAt, device.revokedAt IS NOT NULL, device.seen, device.seenAt,
                       device.lastSeenAt, (SELECT count(*) FROM op WHERE op.userId = device.userId AND op.seq > device.seen),
                       device.opCount, device.byteCount, device.library
                FROM device JOIN user ON user.id = device.userId ORDER BY user.name, device.id
                """).map { DeviceRecord(id: $0[0], user: $0[1], name: $0[2], createdAt: $0[3], revoked: $0[4], seen: $0[5], seenAt: $0[6],
                                        lastSeenAt: $0[7], pending: $0[8], operations: $0[9], bytes: $0[10], library: $0[11]) }
        }, write: false)
    }

    public func revokeDevice(id: Int64) async throws(SyncError) -> Bool {
        let now = Int64(Date().timeIntervalSince1970)
        return try await run("revoking a device", { db in
            try db.execute(sql: "UPDATE device SET revokedAt = coalesce(revokedAt, ?) WHERE id = ?", arguments: [now, id])
            return db.changesCount > 0
        }, write: true)
    }

    public func authenticate(tokenHash: String) async throws(SyncError) -> SyncPrincipal? {
        try await run("checking a token", { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT userId, id, seen FROM device WHERE tokenHash = ? AND revokedAt IS NULL"),
                             arguments: [tokenHash])
                .map { SyncPrincipal(userID: $0[0], deviceID: $0[1], seen: $0[2]) }
        }, write: false)
    }

    public func append(userID: Int64, deviceID: Int64, library declared: String?, ops: [IncomingOperation],
                       quota: StreamQuota) async throws(SyncError) -> AppendResult {
        let batch = ops.map { (id: $0.id, device: $0.device, body: Data($0.body)) }
        let now = Int64(Date().timeIntervalSince1970)
        return try await run("storing operations", { db in
            guard let user = try Row.fetchOne(db.cachedStatement(sql: "SELECT head, opCount, byteCount FROM user WHERE id = ?"),
                                              arguments: [userID]) else {
                throw SyncError(.notFound, message: "no user \(userID)")
            }
            guard let device = try Row.fetchOne(db.cachedStatement(sql: "SELECT library, opCount, byteCount FROM device WHERE id = ? AND userId = ?"),
                                                arguments: [deviceID, userID]) else {
                throw SyncError(.notFound, message: "no device \(deviceID)")
            }
            var head: Int64 = user[0], count: Int64 = user[1], bytes: Int64 = user[2]
            var deviceCount: Int64 = device[1], deviceBytes: Int64 = device[2]
            // The one library device id this token writes (decision 0017).
            let bound = try Self.bind(device[0], declared: declared, last: batch.last?.device, userID: userID, deviceID: deviceID, db)
            var accepted = 0, foreign = 0
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO op(userId, seq, opId, body, deviceId) VALUES (?, ?, ?, ?, ?)")
            let stored = try db.cachedStatement(sql: "SELECT 1 FROM op WHERE userId = ? AND opId = ?")
            for op in batch {
                guard op.device == bound else {
                    // Not this token's id: a retry of what is stored is a duplicate, the rest is dropped.
                    if try Bool.fetchOne(stored, arguments: [userID, op.id]) != true { foreign += 1 }
                    continue
                }
                try insert.execute(arguments: [userID, head + 1, op.id, op.body, deviceID])
                if db.changesCount > 0 {
                    head += 1
                    accepted += 1
                    count += 1
                    bytes += Int64(op.body.count)
                    deviceCount += 1
                    deviceBytes += Int64(op.body.count)
                }
            }
            if accepted > 0, count > quota.operations || bytes > quota.bytes {
                throw SyncError.quota(quota, count: count, bytes: bytes) // rolls the transaction back
            }
            if accepted > 0, deviceCount > quota.deviceOperations || deviceBytes > quota.deviceBytes {
                throw SyncError.deviceQuota(quota, count: deviceCount, bytes: deviceBytes)
            }
            if accepted > 0 {
                try db.cachedStatement(sql: "UPDATE user SET head = ?, opCount = ?, byteCount = ? WHERE id = ?")
                    .execute(arguments: [head, count, bytes, userID])
            }
            try db.cachedStatement(sql: "UPDATE device SET opCount = ?, byteCount = ?, lastSeenAt = ? WHERE id = ?")
                .execute(arguments: [deviceCount, deviceBytes, now, deviceID])
            return AppendResult(accepted: accepted, duplicates: batch.count - accepted - foreign, head: head, foreign: foreign)
        }, write: true)
    }

    /// The library device id `deviceID` writes: the one it is bound to, or — at its first push
    /// — the one the client declares (`Omnisonic-Device`), else the batch's last operation's,
    /// when no other active device of the user owns it (decision 0017). Nil: not bound yet
    /// (the id it would take belongs to another device; nothing is stored).
    ///
    /// - Throws: `forbidden` when the declared id is not the bound one (the library's id
    ///   changed: a copied or restored library file needs a token of its own) or belongs to
    ///   another active device.
    private static func bind(_ bound: String?, declared: String?, last: String?, userID: Int64, deviceID: Int64,
                             _ db: Database) throws -> String? {
        if let bound {
            if let declared, declared != bound { throw SyncError.rebind(bound: bound, declared: declared) }
            return bound
        }
        guard let candidate = declared ?? last else { return nil }
        let owner = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT c.deviceId, d.revokedAt IS NOT NULL FROM deviceClaim c LEFT JOIN device d ON d.id = c.deviceId
            WHERE c.userId = ? AND c.library = ?
            """), arguments: [userID, candidate])
        if let owner, owner[0] as Int64 != deviceID, !(owner[1] as Bool? ?? true) {
            if declared != nil { throw SyncError.claimed(candidate) }
            return nil
        }
        try db.cachedStatement(sql: """
            INSERT INTO deviceClaim(userId, library, deviceId) VALUES (?, ?, ?)
            ON CONFLICT(userId, library) DO UPDATE SET deviceId = excluded.deviceId
            """).execute(arguments: [userID, candidate, deviceID])
        try db.cachedStatement(sql: "UPDATE device SET library = ? WHERE id = ?").execute(arguments: [candidate, deviceID])
        return candidate
    }

    /// Sets a user's `opCount` and `byteCount` from the stream (after compaction deleted some).
    static func recount(userID: Int64, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE user SET opCount = (SELECT count(*) FROM op WHERE userId = ?1),
                            byteCount = (SELECT coalesce(sum(length(body)), 0) FROM op WHERE userId = ?1) WHERE id = ?1
            """, arguments: [userID])
        try db.execute(sql: """
            UPDATE device SET opCount = (SELECT count(*) FROM op WHERE userId = ?1 AND deviceId = device.id),
                              byteCount = (SELECT coalesce(sum(length(body)), 0) FROM op WHERE userId = ?1 AND deviceId = device.id)
            WHERE userId = ?1
            """, arguments: [userID])
    }

    public func usage(userID: Int64) async throws(SyncError) -> (operations: Int64, bytes: Int64) {
        let values: [Int64] = try await run("reading a stream's size", { db in
            try Row.fetchOne(db, sql: "SELECT opCount, byteCount FROM user WHERE id = ?", arguments: [userID])
                .map { [$0[0], $0[1]] } ?? [0, 0]
        }, write: false)
        return (operations: values[0], bytes: values[1])
    }

    public func acknowledge(deviceID: Int64, cursor: Int64, now: Int64) async throws(SyncError) {
        try await run("recording a device's cursor", { db in
            try db.cachedStatement(sql: "UPDATE device SET seen = ?, seenAt = ? WHERE id = ? AND seen < ?")
                .execute(arguments: [cursor, now, deviceID, cursor])
        }, write: true)
    }

    public func read(userID: Int64, after: Int64, limit: Int, maxBytes: Int) async throws(SyncError) -> (ops: [StoredOperation], head: Int64) {
        let result: ([StoredOperation], Int64) = try await run("reading operations", { db in
            let head = try Int64.fetchOne(db.cachedStatement(sql: "SELECT head FROM user WHERE id = ?"), arguments: [userID]) ?? 0
            // A cursor, not fetchAll: rows are read one at a time and the page stops at the byte
            // bound, so a stream of large operations never comes into memory whole.
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT seq, body FROM op WHERE userId = ? AND seq > ? ORDER BY seq LIMIT ?
                """), arguments: [userID, after, limit])
            var ops: [StoredOperation] = []
            var bytes = 0
            while let row = try rows.next() {
                // The body's bytes are copied once, into the operation, straight from SQLite's buffer.
                let body = try row.withUnsafeData(atIndex: 1) { $0.map(Array.init) ?? [] }
                if !ops.isEmpty, body.count > maxBytes - bytes { break }
                bytes += body.count
                ops.append(StoredOperation(seq: row[0], body: body))
            }
            return (ops, head)
        }, write: false)
        return (ops: result.0, head: result.1)
    }

    public func totals() async throws(SyncError) -> (users: Int, devices: Int, operations: Int) {
        let values: [Int] = try await run("counting", { db in
            try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM user), (SELECT count(*) FROM device WHERE revokedAt IS NULL),
                       (SELECT coalesce(sum(head), 0) FROM user)
                """).map { [$0[0], $0[1], $0[2]] } ?? [0, 0, 0]
        }, write: false)
        return (users: values[0], devices: values[1], operations: values[2])
    }
}

extension SQLiteSyncStorage {
    /// Folds the WAL into the database file (benchmarks measure the size at rest).
    public func checkpoint() throws {
        _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }
}
