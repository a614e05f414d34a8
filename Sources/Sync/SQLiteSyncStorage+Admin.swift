import Foundation
import GRDB

/// The administration page's storage on SQLite (decision 0022): administrator tokens, the audit
/// log, users' sizes, renames, deletions.
///
/// Schema (migration `v5-admin`): `adminToken(id, name, tokenHash UNIQUE, createdAt)` (tokens
/// stored as SHA-256, as device tokens), `audit(id, at, actor, action, detail)`.
extension SQLiteSyncStorage {
    static func registerAdministration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-admin") { db in
            try db.execute(sql: """
                CREATE TABLE adminToken (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    tokenHash TEXT NOT NULL UNIQUE,
                    createdAt INTEGER NOT NULL
                );
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                """)
        }
    }

    private func administer<T: Sendable>(_ doing: String, write: Bool,
                                         _ body: @escaping @Sendable (Database) throws -> T) async throws(SyncError) -> T {
        do {
            return write ? try await pool.write(body) : try await pool.read(body)
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.storage, message: "the sync database failed while \(doing)", detail: "\(error)")
        }
    }

    public func users() async throws(SyncError) -> [UserRecord] {
        try await administer("listing users", write: false) { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name, head, opCount, byteCount, compactedAt,
                       (SELECT count(*) FROM device WHERE device.userId = user.id AND revokedAt IS NULL)
                FROM user ORDER BY name
                """).map { UserRecord(id: $0[0], name: $0[1], head: $0[2], operations: $0[3], bytes: $0[4], compactedAt: $0[5], activeDevices: $0[6]) }
        }
    }

    public func renameDevice(id: Int64, name: String) async throws(SyncError) -> Bool {
        try await administer("renaming a device", write: true) { db in
            try db.execute(sql: "UPDATE device SET name = ? WHERE id = ?", arguments: [name, id])
            return db.changesCount > 0
        }
    }

    public func deleteUser(id: Int64) async throws(SyncError) -> Bool {
        try await administer("deleting a user", write: true) { db in
            try db.execute(sql: "DELETE FROM op WHERE userId = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM deviceClaim WHERE userId = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM device WHERE userId = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM user WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func touch(deviceID: Int64, now: Int64) async throws(SyncError) {
        try await administer("recording a device's visit", write: true) { db in
            try db.cachedStatement(sql: "UPDATE device SET lastSeenAt = ? WHERE id = ?").execute(arguments: [now, deviceID])
        }
    }

    public func addAdminToken(name: String, tokenHash: String, now: Int64) async throws(SyncError) -> Int64 {
        try await administer("adding an administrator token", write: true) { db in
            try db.execute(sql: "INSERT INTO adminToken(name, tokenHash, createdAt) VALUES (?, ?, ?)", arguments: [name, tokenHash, now])
            return db.lastInsertedRowID
        }
    }

    public func adminName(tokenHash: String) async throws(SyncError) -> String? {
        try await administer("checking an administrator token", write: false) { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM adminToken WHERE tokenHash = ?"), arguments: [tokenHash])
        }
    }

    public func adminTokenCount() async throws(SyncError) -> Int {
        try await administer("counting administrator tokens", write: false) { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM adminToken")) ?? 0
        }
    }

    public func removeAdminTokens() async throws(SyncError) -> Int {
        try await administer("removing administrator tokens", write: true) { db in
            try db.execute(sql: "DELETE FROM adminToken")
            return db.changesCount
        }
    }

    public func audit(_ entry: AuditEntry) async throws(SyncError) {
        try await administer("writing the audit log", write: true) { db in
            try db.execute(sql: "INSERT INTO audit(at, actor, action, detail) VALUES (?, ?, ?, ?)",
                           arguments: [entry.at, entry.actor, entry.action, entry.detail])
        }
    }

    public func auditLog(limit: Int) async throws(SyncError) -> [AuditEntry] {
        try await administer("reading the audit log", write: false) { db in
            try Row.fetchAll(db, sql: "SELECT at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit])
                .map { AuditEntry(at: $0[0], actor: $0[1], action: $0[2], detail: $0[3]) }
        }
    }
}
