import Foundation
import Logging
import PostgresNIO

/// The administration page's storage on PostgreSQL (decision 0022); the same as
/// `SQLiteSyncStorage+Admin`: tables `sync_admin_token` and `sync_audit`, created with the others.
extension PostgresSyncStorage {
    static func createAdministrationTables(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS sync_admin_token (
                id BIGSERIAL PRIMARY KEY,
                name TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL)
            """, logger: logger)
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS sync_audit (
                id BIGSERIAL PRIMARY KEY,
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                detail TEXT NOT NULL)
            """, logger: logger)
    }

    public func users() async throws(SyncError) -> [UserRecord] {
        try await prepare()
        return try await run("listing users") { connection, logger in
            var out: [UserRecord] = []
            for try await (id, name, head, count, bytes, compacted, devices) in try await connection.query("""
                SELECT u.id, u.name, u.head, coalesce(u.op_count, 0), coalesce(u.byte_count, 0), u.compacted_at,
                       (SELECT count(*) FROM sync_device d WHERE d.user_id = u.id AND d.revoked_at IS NULL)
                FROM sync_user u ORDER BY u.name
                """, logger: logger).decode((Int64, String, Int64, Int64, Int64, Int64?, Int64).self) {
                out.append(UserRecord(id: id, name: name, head: head, operations: count, bytes: bytes, compactedAt: compacted,
                                      activeDevices: Int(devices)))
            }
            return out
        }
    }

    public func renameDevice(id: Int64, name: String) async throws(SyncError) -> Bool {
        try await prepare()
        return try await run("renaming a device") { connection, logger in
            var found = false
            for try await _ in try await connection.query("UPDATE sync_device SET name = \(name) WHERE id = \(id) RETURNING id",
                                                          logger: logger).decode(Int64.self) {
                found = true
            }
            return found
        }
    }

    public func deleteUser(id: Int64) async throws(SyncError) -> Bool {
        try await prepare()
        return try await run("deleting a user") { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                // The user row first, locked: pushes of this user (which lock it too) wait, then
                // find no user.
                var found = false
                for try await _ in try await connection.query("SELECT id FROM sync_user WHERE id = \(id) FOR UPDATE",
                                                              logger: logger).decode(Int64.self) {
                    found = true
                }
                guard found else { return false }
                try await connection.query("DELETE FROM sync_op WHERE user_id = \(id)", logger: logger)
                try await connection.query("DELETE FROM sync_claim WHERE user_id = \(id)", logger: logger)
                try await connection.query("DELETE FROM sync_device WHERE user_id = \(id)", logger: logger)
                try await connection.query("DELETE FROM sync_user WHERE id = \(id)", logger: logger)
                // Waiting pulls of the user, in every process, wake and find their token gone.
                try await connection.query("SELECT pg_notify(\(Self.channel), \(String(id)))", logger: logger)
                return true
            }
        }
    }

    public func touch(deviceID: Int64, now: Int64) async throws(SyncError) {
        try await prepare()
        _ = try await run("recording a device's visit") { connection, logger in
            try await connection.query("UPDATE sync_device SET last_seen_at = \(now) WHERE id = \(deviceID)", logger: logger)
        }
    }

    public func addAdminToken(name: String, tokenHash: String, now: Int64) async throws(SyncError) -> Int64 {
        try await prepare()
        return try await run("adding an administrator token") { connection, logger in
            for try await id in try await connection.query("""
                INSERT INTO sync_admin_token(name, token_hash, created_at) VALUES (\(name), \(tokenHash), \(now)) RETURNING id
                """, logger: logger).decode(Int64.self) {
                return id
            }
            throw SyncError(.storage, message: "PostgreSQL returned no token id")
        }
    }

    public func adminName(tokenHash: String) async throws(SyncError) -> String? {
        try await prepare()
        return try await run("checking an administrator token") { connection, logger in
            for try await name in try await connection.query("SELECT name FROM sync_admin_token WHERE token_hash = \(tokenHash)",
                                                             logger: logger).decode(String.self) {
                return name
            }
            return nil
        }
    }

    public func adminTokenCount() async throws(SyncError) -> Int {
        try await prepare()
        return try await run("counting administrator tokens") { connection, logger in
            for try await count in try await connection.query("SELECT count(*) FROM sync_admin_token", logger: logger).decode(Int64.self) {
                return Int(count)
            }
            return 0
        }
    }

    public func removeAdminTokens() async throws(SyncError) -> Int {
        try await prepare()
        return try await run("removing administrator tokens") { connection, logger in
            var removed = 0
            for try await _ in try await connection.query("DELETE FROM sync_admin_token RETURNING id", logger: logger).decode(Int64.self) {
                removed += 1
            }
            return removed
        }
    }

    public func audit(_ entry: AuditEntry) async throws(SyncError) {
        try await prepare()
        _ = try await run("writing the audit log") { connection, logger in
            try await connection.query("""
                INSERT INTO sync_audit(at, actor, action, detail) VALUES (\(entry.at), \(entry.actor), \(entry.action), \(entry.detail))
                """, logger: logger)
        }
    }

    public func auditLog(limit: Int) async throws(SyncError) -> [AuditEntry] {
        try await prepare()
        return try await run("reading the audit log") { connection, logger in
            var out: [AuditEntry] = []
            for try await (at, actor, action, detail) in try await connection.query("""
                SELECT at, actor, action, detail FROM sync_audit ORDER BY id DESC LIMIT \(Int64(limit))
                """, logger: logger).decode((Int64, String, String, String).self) {
                out.append(AuditEntry(at: at, actor: actor, action: action, detail: detail))
            }
            return out
        }
    }
}
