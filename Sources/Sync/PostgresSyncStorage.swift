import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The storage for several stateless sync-server processes over one PostgreSQL database
/// (`sync-server --postgres URL`; decision 0014).
///
/// Tables (`sync_user`, `sync_device`, `sync_op`) mirror `SQLiteSyncStorage`'s and are created
/// on first use, under an advisory lock so that processes starting together do not race.
///
/// **Numbering under concurrent writers.** A push is one transaction that first locks its
/// user's row (`SELECT head … FOR UPDATE`). Pushes of one user, from any process, queue there;
/// the one holding the lock skips the ids already stored (it sees every committed push, READ
/// COMMITTED takes a new snapshot per statement), numbers the rest `head + 1 …` with
/// `row_number()` in one `INSERT … SELECT FROM unnest(…)`, raises `head` and commits. Streams
/// are therefore gapless and duplicate-free whatever the number of processes; pushes of
/// different users never wait for each other.
///
/// **Waking long polls in other processes.** The appending transaction also runs
/// `pg_notify('omnisonic_sync', user id)`, delivered at commit. `run(wake:)` keeps one pooled
/// connection in `LISTEN omnisonic_sync` and hands each notification to the server, which wakes
/// that user's waiting pulls: a push through one process reaches a device long-polling another
/// within milliseconds. When that connection is lost it is re-established (backing off up to
/// 5 s) and every waiting pull re-reads once, so nothing is missed.
public final class PostgresSyncStorage: SyncStorage {
    /// The notification channel appends announce themselves on.
    static let channel = "omnisonic_sync"
    /// Advisory lock keys: schema creation, and one per user's compaction (base + user id).
    static let schemaLock: Int64 = 0x6F6D_6E69_0000_0000
    static let compactionLockBase: Int64 = 0x6F6D_6E69_0001_0000

    let client: PostgresClient
    let logger: Logger
    /// What the storage reaches, for messages (never the password).
    public let description: String
    private let ready = Mutex(false)
    /// The longest a request waits for a database connection before failing (503).
    let leaseTimeout: Duration

    /// - Parameters:
    ///   - url: `postgres://user[:password]@host[:port]/database[?sslmode=disable|require]`, or
    ///     `postgres://user@/database?host=/run/postgresql` for a Unix socket. Without a password
    ///     in the URL, `PGPASSWORD` is used. TLS defaults to `disable` on loopback and sockets
    ///     and to `require` (verified against the system's roots) for any other host.
    ///   - maximumConnections: the pool's size per process (one of them listens).
    ///   - leaseTimeout: how long a request may wait for a connection (an unreachable database
    ///     fails requests after this, with `SyncError.Reason.unavailable`).
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                maximumConnections: Int = 20, leaseTimeout: Duration = .seconds(10),
                logger: Logger = Logger(label: "omnisonic.sync.postgres")) throws(SyncError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw SyncError(.invalid, message: "not a PostgreSQL URL (postgres://user@host:port/database): \(Self.redacted(url))")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        guard let user = components.user, !user.isEmpty else {
            throw SyncError(.invalid, message: "the PostgreSQL URL needs a user (postgres://user@host/database)")
        }
        let database = components.path.count > 1 ? String(components.path.dropFirst()) : nil
        let password = components.password ?? environment["PGPASSWORD"]
        var configuration: PostgresClient.Configuration
        if let socket = query["host"], socket.hasPrefix("/") {
            let path = socket.hasSuffix(".s.PGSQL.\(components.port ?? 5432)") ? socket : socket + "/.s.PGSQL.\(components.port ?? 5432)"
            configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
            description = "postgres \(user)@\(path)/\(database ?? user)"
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw SyncError(.invalid, message: "the PostgreSQL URL needs a host, or ?host=/socket/folder")
            }
            let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host)
            let tls: PostgresClient.Configuration.TLS
            switch query["sslmode"] ?? (loopback ? "disable" : "require") {
            case "disable": tls = .disable
            case "require", "verify-full": tls = .require(.makeClientConfiguration())
            case let other:
                throw SyncError(.invalid, message: "sslmode must be disable or require, not \(other)")
            }
            configuration = .init(host: host, port: components.port ?? 5432, username: user, password: password,
                                  database: database, tls: tls)
            description = "postgres \(user)@\(host):\(components.port ?? 5432)/\(database ?? user)"
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        // The pool logs every failed connection attempt at info: keep its log for warnings and
        // up unless debugging.
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.logger = logger
        self.leaseTimeout = leaseTimeout
    }

    /// The URL with its password hidden (for messages).
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }

    // MARK: - Background work

    public func run(wake: @escaping @Sendable (Int64?) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.listen(wake: wake) }
            await group.next() // either ends only when cancelled
            group.cancelAll()
        }
    }

    /// Keeps one connection listening for appends until cancelled.
    private func listen(wake: @escaping @Sendable (Int64?) -> Void) async {
        var delay = 0.1
        var lost = false
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        if lost {
                            logger.notice("listening for other servers' pushes again")
                            wake(nil) // what arrived meanwhile
                        }
                        lost = false
                        delay = 0.1
                        for try await notification in notifications {
                            if let user = Int64(notification.payload) { wake(user) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                if !lost {
                    logger.warning("lost the PostgreSQL notification connection; pulls in this process will not see other servers' pushes until it is back",
                                   metadata: ["detail": "\(String(reflecting: error))"])
                }
                lost = true
            }
            try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            delay = min(delay * 2, 5)
        }
    }

    // MARK: - Schema

    /// Creates the tables on first use (several processes may start at once: an advisory lock
    /// serializes them).
    func prepare() async throws(SyncError) {
        if ready.withLock({ $0 }) { return }
        try await run("creating the schema") { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock))", logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS sync_user (
                        id BIGSERIAL PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        head BIGINT NOT NULL DEFAULT 0,
                        op_count BIGINT DEFAULT 0,
                        byte_count BIGINT DEFAULT 0)
                    """, logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS sync_device (
                        id BIGSERIAL PRIMARY KEY,
                        user_id BIGINT NOT NULL REFERENCES sync_user(id),
                        name TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at BIGINT NOT NULL,
                        revoked_at BIGINT)
                    """, logger: logger)
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS sync_op (
                        user_id BIGINT NOT NULL REFERENCES sync_user(id),
                        seq BIGINT NOT NULL,
                        op_id TEXT NOT NULL,
                        body BYTEA NOT NULL,
                        PRIMARY KEY (user_id, seq),
                        UNIQUE (user_id, op_id))
                    """, logger: logger)
                // Added after the first release of this schema: the acknowledged cursor.
                try await connection.query("""
                    ALTER TABLE sync_device ADD COLUMN IF NOT EXISTS seen BIGINT NOT NULL DEFAULT 0,
                                            ADD COLUMN IF NOT EXISTS seen_at BIGINT
                    """, logger: logger)
                // Added for decision 0017: what each stream holds (for quotas; NULL until counted
                // once, here, for streams written before). Only when missing: ALTER TABLE takes
                // the table's strongest lock, and other processes are pushing meanwhile.
                var missing = true
                for try await count in try await connection.query("""
                    SELECT count(*) FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = 'sync_user' AND column_name = 'byte_count'
                    """, logger: logger).decode(Int64.self) {
                    missing = count == 0
                }
                if missing {
                    try await connection.query("""
                        ALTER TABLE sync_user ADD COLUMN IF NOT EXISTS op_count BIGINT,
                                              ADD COLUMN IF NOT EXISTS byte_count BIGINT
                        """, logger: logger)
                    try await connection.query("""
                        ALTER TABLE sync_user ALTER COLUMN op_count SET DEFAULT 0, ALTER COLUMN byte_count SET DEFAULT 0
                        """, logger: logger)
                    try await connection.query("""
                        UPDATE sync_user u SET op_count = (SELECT count(*) FROM sync_op o WHERE o.user_id = u.id),
                                               byte_count = (SELECT coalesce(sum(octet_length(o.body)), 0) FROM sync_op o WHERE o.user_id = u.id)
                        WHERE op_count IS NULL OR byte_count IS NULL
                        """, logger: logger)
                }
                try await connection.query("""
                    CREATE TABLE IF NOT EXISTS sync_claim (
                        user_id BIGINT NOT NULL REFERENCES sync_user(id),
                        library TEXT NOT NULL,
                        device_id BIGINT NOT NULL REFERENCES sync_device(id),
                        PRIMARY KEY (user_id, library))
                    """, logger: logger)
                // Added for one library id per token and per-device quotas (decision 0017), and
                // the administration page (0022); only when missing, as above. Existing
                // operations are attributed through the claims (an operation id ends with its
                // library device id, after 22 characters of clock).
                var bindingMissing = true
                for try await count in try await connection.query("""
                    SELECT count(*) FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = 'sync_device' AND column_name = 'library'
                    """, logger: logger).decode(Int64.self) {
                    bindingMissing = count == 0
                }
                if bindingMissing {
                    try await connection.query("""
                        ALTER TABLE sync_device ADD COLUMN IF NOT EXISTS library TEXT,
                                                ADD COLUMN IF NOT EXISTS op_count BIGINT NOT NULL DEFAULT 0,
                                                ADD COLUMN IF NOT EXISTS byte_count BIGINT NOT NULL DEFAULT 0,
                                                ADD COLUMN IF NOT EXISTS last_seen_at BIGINT
                        """, logger: logger)
                    try await connection.query("ALTER TABLE sync_user ADD COLUMN IF NOT EXISTS compacted_at BIGINT", logger: logger)
                    try await connection.query("ALTER TABLE sync_op ADD COLUMN IF NOT EXISTS device_id BIGINT", logger: logger)
                    try await connection.query("""
                        UPDATE sync_op o SET device_id = c.device_id FROM sync_claim c
                        WHERE c.user_id = o.user_id AND c.library = substr(o.op_id, 23)
                        """, logger: logger)
                    try await connection.query("""
                        UPDATE sync_device d SET op_count = (SELECT count(*) FROM sync_op o WHERE o.user_id = d.user_id AND o.device_id = d.id),
                            byte_count = (SELECT coalesce(sum(octet_length(o.body)), 0) FROM sync_op o WHERE o.user_id = d.user_id AND o.device_id = d.id)
                        """, logger: logger)
                }
                try await Self.createAdministrationTables(connection, logger: logger)
            }
        }
        ready.withLock { $0 = true }
    }

    /// Runs `body` on a pooled connection. Waiting for a connection is bounded by
    /// `leaseTimeout` (the pool would otherwise keep retrying an unreachable server for a
    /// minute while the request waits); once it has one, the body runs to its end.
    func run<T: Sendable>(_ doing: String,
                                  _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws(SyncError) -> T {
        let leased = LeaseFlag()
        let client = self.client, logger = self.logger, timeout = leaseTimeout
        do {
            return try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
                group.addTask {
                    .done(try await client.withConnection { connection in
                        leased.set()
                        return try await body(connection, logger)
                    })
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return .timer
                }
                while let outcome = try await group.next() {
                    switch outcome {
                    case .done(let value):
                        group.cancelAll()
                        return value
                    case .timer where !leased.isSet:
                        group.cancelAll()
                        throw SyncError(.unavailable, message: "the sync database (\(description)) did not answer within \(timeout) while \(doing)")
                    case .timer:
                        continue
                    }
                }
                throw CancellationError()
            }
        } catch let error as SyncError {
            throw error
        } catch let error as PostgresTransactionError where error.closureError is SyncError {
            // A refusal decided inside a transaction (a quota), rolled back: the caller's answer.
            throw error.closureError as! SyncError
        } catch {
            throw SyncError(.storage, message: "the sync database (\(description)) failed while \(doing)", detail: String(reflecting: error))
        }
    }

    // MARK: - SyncStorage

    public func addDevice(user: String, name: String, tokenHash: String, now: Int64) async throws(SyncError) -> Int64 {
        try await prepare()
        return try await run("adding a device") { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("INSERT INTO sync_user(name) VALUES (\(user)) ON CONFLICT (name) DO NOTHING", logger: logger)
                let rows = try await connection.query("""
                    INSERT INTO sync_device(user_id, name, token_hash, created_at)
                    SELECT id, \(name), \(tokenHash), \(now) FROM sync_user WHERE name = \(user) RETURNING id
                    """, logger: logger)
                for try await id in rows.decode(Int64.self) { return id }
                throw SyncError(.storage, message: "PostgreSQL returned no device id")
            }
        }
    }

    public func listDevices() async throws(SyncError) -> [DeviceRecord] {
        try await prepare()
        return try await run("listing devices") { connection, logger in
            let rows = try await connection.query("""
                SELECT d.id, u.name, d.name, d.created_at, d.revoked_at IS NOT NULL, d.seen, d.seen_at
                FROM sync_device d JOIN sync_user u ON u.id = d.user_id ORDER BY u.name, d.id
                """, logger: logger)
            var out: [DeviceRecord] = []
            for try await (id, user, name, created, revoked, seen, seenAt) in rows.decode((Int64, String, String, Int64, Bool, Int64, Int64?).self) {
                out.append(DeviceRecord(id: id, user: user, name: name, createdAt: created, revoked: revoked, seen: seen, seenAt: seenAt))
            }
            // What the administration page adds (decision 0022); postgres-nio decodes at most
            // seven columns at a time as a tuple, hence a second query.
            var extra: [Int64: (Int64?, Int64, Int64, Int64, String?)] = [:]
            for try await (id, lastSeen, pending, count, bytes, library) in try await connection.query("""
                SELECT d.id, d.last_seen_at, (SELECT count(*) FROM sync_op o WHERE o.user_id = d.user_id AND o.seq > d.seen),
                       d.op_count, d.byte_count, d.library FROM sync_device d
                """, logger: logger).decode((Int64, Int64?, Int64, Int64, Int64, String?).self) {
                extra[id] = (lastSeen, pending, count, bytes, library)
            }
            for index in out.indices {
                guard let (lastSeen, pending, count, bytes, library) = extra[out[index].id] else { continue }
                out[index].lastSeenAt = lastSeen
                out[index].pending = pending
                out[index].operations = count
                out[index].bytes = bytes
                out[index].library = library
            }
            return out
        }
    }

    public func revokeDevice(id: Int64) async throws(SyncError) -> Bool {
        try await prepare()
        let now = Int64(Date().timeIntervalSince1970)
        return try await run("revoking a device") { connection, logger in
            let rows = try await connection.query("""
                UPDATE sync_device SET revoked_at = coalesce(revoked_at, \(now)) WHERE id = \(id) RETURNING user_id
                """, logger: logger)
            var user: Int64?
            for try await value in rows.decode(Int64.self) { user = value }
            guard let user else { return false }
            // Wakes the device's waiting pulls in every process: they check their token again
            // and end (decision 0017).
            try await connection.query("SELECT pg_notify(\(Self.channel), \(String(user)))", logger: logger)
            return true
        }
    }

    public func authenticate(tokenHash: String) async throws(SyncError) -> SyncPrincipal? {
        try await prepare()
        return try await run("checking a token") { connection, logger in
            let rows = try await connection.query("""
                SELECT user_id, id, seen FROM sync_device WHERE token_hash = \(tokenHash) AND revoked_at IS NULL
                """, logger: logger)
            for try await (user, device, seen) in rows.decode((Int64, Int64, Int64).self) {
                return SyncPrincipal(userID: user, deviceID: device, seen: seen)
            }
            return nil
        }
    }

    public func append(userID: Int64, deviceID: Int64, library declared: String?, ops: [IncomingOperation],
                       quota: StreamQuota) async throws(SyncError) -> AppendResult {
        try await prepare()
        // Duplicates inside one batch: the first counts (as SQLite's INSERT OR IGNORE does).
        var seen = Set<String>()
        let unique = ops.filter { seen.insert($0.id).inserted }
        let last = ops.last?.device
        let now = Int64(Date().timeIntervalSince1970)
        return try await run("storing operations") { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                // The per-user counter: concurrent pushes of this user, from any process, wait
                // here; so do claims of library ids (decision 0017).
                var locked: (head: Int64, count: Int64, bytes: Int64)?
                for try await (head, count, bytes) in try await connection.query(
                    "SELECT head, coalesce(op_count, 0), coalesce(byte_count, 0) FROM sync_user WHERE id = \(userID) FOR UPDATE",
                    logger: logger).decode((Int64, Int64, Int64).self) {
                    locked = (head, count, bytes)
                }
                guard let locked else { throw SyncError(.notFound, message: "no user \(userID)") }
                let (head, count, bytes) = locked
                var device: (library: String?, count: Int64, bytes: Int64)?
                for try await (library, count, bytes) in try await connection.query("""
                    SELECT library, op_count, byte_count FROM sync_device WHERE id = \(deviceID) AND user_id = \(userID)
                    """, logger: logger).decode((String?, Int64, Int64).self) {
                    device = (library, count, bytes)
                }
                guard let device else { throw SyncError(.notFound, message: "no device \(deviceID)") }
                let bound = try await Self.bind(device.library, declared: declared, last: last, userID: userID, deviceID: deviceID,
                                                connection, logger: logger)
                let mine = unique.filter { $0.device == bound }
                // Other ids' operations: a retry of stored ones is a duplicate, the rest is dropped.
                let others = ops.filter { $0.device != bound }.map(\.id)
                var stored = Set<String>()
                if !others.isEmpty {
                    for try await id in try await connection.query("""
                        SELECT op_id FROM sync_op WHERE user_id = \(userID) AND op_id = ANY(\(others)::text[])
                        """, logger: logger).decode(String.self) {
                        stored.insert(id)
                    }
                }
                let foreign = others.filter { !stored.contains($0) }.count
                let ids = mine.map(\.id)
                let bodies = mine.map { ByteBuffer(bytes: $0.body) }
                var accepted: Int64 = 0, added: Int64 = 0
                if !ids.isEmpty {
                    let rows = try await connection.query("""
                        WITH batch AS (
                            SELECT t.op_id, t.body, t.ord
                            FROM unnest(\(ids)::text[], \(bodies)::bytea[]) WITH ORDINALITY AS t(op_id, body, ord)
                            WHERE NOT EXISTS (SELECT 1 FROM sync_op o WHERE o.user_id = \(userID) AND o.op_id = t.op_id)
                        ), inserted AS (
                            INSERT INTO sync_op(user_id, seq, op_id, body, device_id)
                            SELECT \(userID), \(head) + row_number() OVER (ORDER BY ord), op_id, body, \(deviceID) FROM batch
                            RETURNING octet_length(body) AS size
                        )
                        SELECT count(*), coalesce(sum(size), 0)::bigint FROM inserted
                        """, logger: logger)
                    for try await (count, size) in rows.decode((Int64, Int64).self) { (accepted, added) = (count, size) }
                }
                if accepted > 0 {
                    if count + accepted > quota.operations || bytes + added > quota.bytes {
                        throw SyncError.quota(quota, count: count + accepted, bytes: bytes + added) // rolls back
                    }
                    if device.count + accepted > quota.deviceOperations || device.bytes + added > quota.deviceBytes {
                        throw SyncError.deviceQuota(quota, count: device.count + accepted, bytes: device.bytes + added)
                    }
                    try await connection.query("""
                        UPDATE sync_user SET head = \(head + accepted), op_count = \(count + accepted), byte_count = \(bytes + added)
                        WHERE id = \(userID)
                        """, logger: logger)
                    try await connection.query("SELECT pg_notify(\(Self.channel), \(String(userID)))", logger: logger)
                }
                try await connection.query("""
                    UPDATE sync_device SET op_count = op_count + \(accepted), byte_count = byte_count + \(added), last_seen_at = \(now)
                    WHERE id = \(deviceID)
                    """, logger: logger)
                return AppendResult(accepted: Int(accepted), duplicates: ops.count - Int(accepted) - foreign, head: head + accepted,
                                    foreign: foreign)
            }
        }
    }

    /// `SQLiteSyncStorage.bind`'s rule, under the user row lock.
    private static func bind(_ bound: String?, declared: String?, last: String?, userID: Int64, deviceID: Int64,
                             _ connection: PostgresConnection, logger: Logger) async throws -> String? {
        if let bound {
            if let declared, declared != bound { throw SyncError.rebind(bound: bound, declared: declared) }
            return bound
        }
        guard let candidate = declared ?? last else { return nil }
        var owner: (device: Int64, revoked: Bool)?
        for try await (device, revoked) in try await connection.query("""
            SELECT c.device_id, coalesce(d.revoked_at IS NOT NULL, true) FROM sync_claim c
            LEFT JOIN sync_device d ON d.id = c.device_id WHERE c.user_id = \(userID) AND c.library = \(candidate)
            """, logger: logger).decode((Int64, Bool).self) {
            owner = (device, revoked)
        }
        if let owner, owner.device != deviceID, !owner.revoked {
            if declared != nil { throw SyncError.claimed(candidate) }
            return nil
        }
        try await connection.query("""
            INSERT INTO sync_claim(user_id, library, device_id) VALUES (\(userID), \(candidate), \(deviceID))
            ON CONFLICT (user_id, library) DO UPDATE SET device_id = excluded.device_id
            """, logger: logger)
        try await connection.query("UPDATE sync_device SET library = \(candidate) WHERE id = \(deviceID)", logger: logger)
        return candidate
    }

    public func usage(userID: Int64) async throws(SyncError) -> (operations: Int64, bytes: Int64) {
        try await prepare()
        return try await run("reading a stream's size") { connection, logger in
            for try await (count, bytes) in try await connection.query("""
                SELECT coalesce(op_count, 0), coalesce(byte_count, 0) FROM sync_user WHERE id = \(userID)
                """, logger: logger).decode((Int64, Int64).self) {
                return (operations: count, bytes: bytes)
            }
            return (operations: 0, bytes: 0)
        }
    }

    public func acknowledge(deviceID: Int64, cursor: Int64, now: Int64) async throws(SyncError) {
        try await prepare()
        _ = try await run("recording a device's cursor") { connection, logger in
            try await connection.query("""
                UPDATE sync_device SET seen = \(cursor), seen_at = \(now) WHERE id = \(deviceID) AND seen < \(cursor)
                """, logger: logger)
        }
    }

    public func read(userID: Int64, after: Int64, limit: Int, maxBytes: Int) async throws(SyncError) -> (ops: [StoredOperation], head: Int64) {
        try await prepare()
        return try await run("reading operations") { connection, logger in
            // First the sizes (octet_length reads a stored value's length without its bytes),
            // to find where the byte bound ends the page; then only those bodies. The head is
            // read with the sizes, so it never lags the operations returned.
            var head: Int64 = 0
            var last: Int64?
            var bytes = 0
            for try await (value, seq, size) in try await connection.query("""
                SELECT u.head, o.seq, o.size FROM sync_user u
                LEFT JOIN LATERAL (
                    SELECT seq, octet_length(body) AS size FROM sync_op WHERE user_id = u.id AND seq > \(after) ORDER BY seq LIMIT \(Int64(limit))
                ) o ON true
                WHERE u.id = \(userID) ORDER BY o.seq
                """, logger: logger).decode((Int64, Int64?, Int32?).self) {
                head = value
                guard let seq, let size else { continue }
                if last != nil, Int(size) > maxBytes - bytes { break }
                bytes += Int(size)
                last = seq
            }
            guard let last else { return (ops: [], head: head) }
            var ops: [StoredOperation] = []
            for try await (seq, body) in try await connection.query("""
                SELECT seq, body FROM sync_op WHERE user_id = \(userID) AND seq > \(after) AND seq <= \(last) ORDER BY seq
                """, logger: logger).decode((Int64, ByteBuffer).self) {
                ops.append(StoredOperation(seq: seq, body: Array(body.readableBytesView)))
            }
            return (ops: ops, head: head)
        }
    }

    public func totals() async throws(SyncError) -> (users: Int, devices: Int, operations: Int) {
        try await prepare()
        return try await run("counting") { connection, logger in
            let rows = try await connection.query("""
                SELECT (SELECT count(*) FROM sync_user), (SELECT count(*) FROM sync_device WHERE revoked_at IS NULL),
                       (SELECT coalesce(sum(head), 0)::bigint FROM sync_user)
                """, logger: logger)
            for try await (users, devices, ops) in rows.decode((Int64, Int64, Int64).self) {
                return (users: Int(users), devices: Int(devices), operations: Int(ops))
            }
            return (users: 0, devices: 0, operations: 0)
        }
    }

    public func streams() async throws(SyncError) -> [StreamHead] {
        try await prepare()
        return try await run("listing users") { connection, logger in
            var out: [StreamHead] = []
            for try await (id, name, head) in try await connection.query("SELECT id, name, head FROM sync_user ORDER BY id", logger: logger)
                .decode((Int64, String, Int64).self) {
                out.append(StreamHead(userID: id, user: name, head: head))
            }
            return out
        }
    }

    public func compact(userID: Int64, through: Int64) async throws(SyncError) -> (kept: Int, removed: Int) {
        try await prepare()
        return try await run("compacting the stream of user \(userID)") { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                // One compaction of a stream at a time, whichever process runs it; pushes go on.
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.compactionLockBase + userID))", logger: logger)
                var rows: [(seq: Int64, body: [UInt8])] = []
                for try await (seq, body) in try await connection.query("""
                    SELECT seq, body FROM sync_op WHERE user_id = \(userID) AND seq <= \(through) ORDER BY seq
                    """, logger: logger).decode((Int64, ByteBuffer).self) {
                    rows.append((seq: seq, body: Array(body.readableBytesView)))
                }
                // No active device: nobody can hold what a removal removes.
                var acknowledged = through
                for try await value in try await connection.query("""
                    SELECT min(seen) FROM sync_device WHERE user_id = \(userID) AND revoked_at IS NULL
                    """, logger: logger).decode(Int64?.self) {
                    acknowledged = value ?? through
                }
                let floor = min(acknowledged, through)
                var tail: [(seq: Int64, body: [UInt8])] = []
                if floor > 0 {
                    for try await (seq, body) in try await connection.query("""
                        SELECT seq, body FROM sync_op WHERE user_id = \(userID) AND seq > \(through) ORDER BY seq
                        """, logger: logger).decode((Int64, ByteBuffer).self) {
                        tail.append((seq: seq, body: Array(body.readableBytesView)))
                    }
                }
                let removable = try Compaction.removable(rows, tail: tail, tombstonesThrough: floor)
                if !removable.isEmpty {
                    // What each device's share lost (per-device quotas, decision 0017).
                    var perDevice: [(device: Int64, count: Int64, bytes: Int64)] = []
                    for try await (device, count, bytes) in try await connection.query("""
                        WITH gone AS (
                            DELETE FROM sync_op WHERE user_id = \(userID) AND seq = ANY(\(removable)::bigint[])
                            RETURNING device_id, octet_length(body) AS size
                        )
                        SELECT device_id, count(*), coalesce(sum(size), 0)::bigint FROM gone WHERE device_id IS NOT NULL GROUP BY device_id
                        """, logger: logger).decode((Int64, Int64, Int64).self) {
                        perDevice.append((device, count, bytes))
                    }
                    for share in perDevice {
                        try await connection.query("""
                            UPDATE sync_device SET op_count = greatest(op_count - \(share.count), 0),
                                byte_count = greatest(byte_count - \(share.bytes), 0) WHERE id = \(share.device)
                            """, logger: logger)
                    }
                    // A difference, not a recount: a push committing meanwhile has added its own.
                    let gone = Set(removable)
                    let freed = Int64(rows.reduce(0) { $0 + (gone.contains($1.seq) ? $1.body.count : 0) })
                    try await connection.query("""
                        UPDATE sync_user SET op_count = greatest(coalesce(op_count, 0) - \(Int64(removable.count)), 0),
                            byte_count = greatest(coalesce(byte_count, 0) - \(freed), 0)
                        WHERE id = \(userID)
                        """, logger: logger)
                }
                try await connection.query("UPDATE sync_user SET compacted_at = \(Int64(Date().timeIntervalSince1970)) WHERE id = \(userID)",
                                           logger: logger)
                return (kept: rows.count - removable.count, removed: removable.count)
            }
        }
    }
}

/// What finished first in `PostgresSyncStorage.run`: the work, or the lease timer.
private enum LeaseOutcome<T: Sendable>: Sendable {
    case done(T)
    case timer
}

/// Set once a connection is leased.
private final class LeaseFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
