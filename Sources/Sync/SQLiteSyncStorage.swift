import Foundation
import GRDB

/// The default storage: one SQLite database (`<data>/sync.sqlite`, WAL) through GRDB.
///
/// Schema (migration `v1-sync-server`):
/// - `user(id, name UNIQUE, head)`: `head` is the stream's last sequence number, raised in the
///   appending transaction (the per-user counter);
/// - `device(id, userId, name, tokenHash UNIQUE, createdAt, revokedAt, seen, seenAt)`: `seen`
///   is the device's acknowledged cursor (migration `v2-device-seen`);
/// - `op(userId, seq, opId, body)`, primary key `(userId, seq)`, `UNIQUE(userId, opId)`: the
///   streams; `body` is the operation's canonical JSON.
///
/// GRDB's async `read`/`write` run on its own dispatch queues: the caller's task suspends and
/// the cooperative pool is never blocked. Writes are serialized by SQLite (one process).
public final class SQLiteSyncStorage: SyncStorage {
    let pool: DatabasePool

    /// Opens (creating and migrating) the database at `path`.
    public init(path: String) throws(SyncError) {
        do {
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
                SELECT device.id, user.name, device.name, device.createdAt, device.revokedAt IS NOT NULL, device.seen, device.seenAt
                FROM device JOIN user ON user.id = device.userId ORDER BY user.name, device.id
                """).map { DeviceRecord(id: $0[0], user: $0[1], name: $0[2], createdAt: $0[3], revoked: $0[4], seen: $0[5], seenAt: $0[6]) }
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

    public func append(userID: Int64, ops: [(id: String, body: [UInt8])]) async throws(SyncError) -> AppendResult {
        let batch = ops.map { (id: $0.id, body: Data($0.body)) }
        return try await run("storing operations", { db in
            var head = try Int64.fetchOne(db.cachedStatement(sql: "SELECT head FROM user WHERE id = ?"), arguments: [userID]) ?? 0
            var accepted = 0
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO op(userId, seq, opId, body) VALUES (?, ?, ?, ?)")
            for op in batch {
                try insert.execute(arguments: [userID, head + 1, op.id, op.body])
                if db.changesCount > 0 {
                    head += 1
                    accepted += 1
                }
            }
            if accepted > 0 {
                try db.cachedStatement(sql: "UPDATE user SET head = ? WHERE id = ?").execute(arguments: [head, userID])
            }
            return AppendResult(accepted: accepted, duplicates: batch.count - accepted, head: head)
        }, write: true)
    }

    public func acknowledge(deviceID: Int64, cursor: Int64, now: Int64) async throws(SyncError) {
        try await run("recording a device's cursor", { db in
            try db.cachedStatement(sql: "UPDATE device SET seen = ?, seenAt = ? WHERE id = ? AND seen < ?")
                .execute(arguments: [cursor, now, deviceID, cursor])
        }, write: true)
    }

    public func read(userID: Int64, after: Int64, limit: Int) async throws(SyncError) -> (ops: [StoredOperation], head: Int64) {
        let result: ([StoredOperation], Int64) = try await run("reading operations", { db in
            let head = try Int64.fetchOne(db.cachedStatement(sql: "SELECT head FROM user WHERE id = ?"), arguments: [userID]) ?? 0
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT seq, body FROM op WHERE userId = ? AND seq > ? ORDER BY seq LIMIT ?
                """), arguments: [userID, after, limit])
            return (rows.map { StoredOperation(seq: $0[0], body: Array(($0[1] as Data))) }, head)
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
        try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }
}
