import OmniModel

/// Who a request comes from, once its token is checked.
public struct SyncPrincipal: Sendable, Equatable {
    /// The user whose stream the device reads and writes (and no other).
    public var userID: Int64
    public var deviceID: Int64
    /// The device's acknowledged cursor: it has applied every operation up to here and had
    /// nothing it sent still awaiting an acknowledgement when it said so (`acknowledge`).
    public var seen: Int64
    public init(userID: Int64, deviceID: Int64, seen: Int64 = 0) {
        self.userID = userID
        self.deviceID = deviceID
        self.seen = seen
    }
}

/// A device as `sync-server list-devices` shows it.
public struct DeviceRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var user: String
    public var name: String
    /// Seconds since 1970.
    public var createdAt: Int64
    public var revoked: Bool
    /// Its acknowledged cursor (0 until its first acknowledgement).
    public var seen: Int64
    /// When it last acknowledged, seconds since 1970.
    public var seenAt: Int64?
    /// When it last pushed or pulled (to the minute), seconds since 1970.
    public var lastSeenAt: Int64? = nil
    /// Operations of its user's stream after its acknowledged cursor.
    public var pending: Int64 = 0
    /// What its own pushes keep in the stream (its per-device quota share).
    public var operations: Int64 = 0
    public var bytes: Int64 = 0
    /// The library device id its token writes under (nil before its first push; decision 0017).
    public var library: String? = nil
}

/// A user as the administration page shows it (decision 0022).
public struct UserRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    /// The stream's last sequence number.
    public var head: Int64
    /// What the stream holds now (the figures `StreamQuota` bounds).
    public var operations: Int64
    public var bytes: Int64
    /// When compaction last went over the stream, seconds since 1970.
    public var compactedAt: Int64?
    /// Devices whose token still works.
    public var activeDevices: Int
}

/// One administrative action, for the audit log (decision 0022).
public struct AuditEntry: Sendable, Equatable, Codable {
    /// Seconds since 1970.
    public var at: Int64
    /// Who: `admin <name>` (an admin token's name) or `command line`.
    public var actor: String
    /// What: `device.add`, `device.rename`, `device.revoke`, `user.compact`, `user.delete`, `admin-token.add`.
    public var action: String
    /// On what, in words (a device's id and name, a user's name).
    public var detail: String
    public init(at: Int64, actor: String, action: String, detail: String) {
        self.at = at
        self.actor = actor
        self.action = action
        self.detail = detail
    }
}

/// The result of appending a batch.
public struct AppendResult: Sendable, Equatable {
    public var accepted: Int
    public var duplicates: Int
    public var head: Int64
    /// Operations refused because their device id belongs to another device (token) of the
    /// user (decision 0017): not stored.
    public var foreign: Int = 0

    public init(accepted: Int, duplicates: Int, head: Int64, foreign: Int = 0) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.head = head
        self.foreign = foreign
    }
}

/// One operation on its way into a stream: its id (`UserOperation.id`), the library device id
/// that made it (`UserOperation.device`, which the append binds to the pushing device) and its
/// canonical JSON.
public struct IncomingOperation: Sendable, Equatable {
    public var id: String
    public var device: String
    public var body: [UInt8]
    public init(id: String, device: String, body: [UInt8]) {
        self.id = id
        self.device = device
        self.body = body
    }
}

extension SyncError {
    /// The refusal of an append that would take one device's share of its user's stream past
    /// the per-device quota (HTTP 507).
    static func deviceQuota(_ quota: StreamQuota, count: Int64, bytes: Int64) -> SyncError {
        SyncError(.deviceQuotaExceeded,
                  message: "this device's share of the stream is full (at most \(quota.deviceOperations) operations and \(quota.deviceBytes) bytes per device); ask the server's administrator to compact it or raise --device-quota-ops/--device-quota-bytes",
                  detail: "the push would make it \(count) operations and \(bytes) bytes")
    }

    /// The refusal of a push declaring another library device id than the token's (HTTP 403).
    static func rebind(bound: String, declared: String) -> SyncError {
        SyncError(.forbidden,
                  message: "this device's token belongs to the library with device id \(bound), but this library's device id is now \(declared) (a copied or restored library file): add a device for it on the sync server and use its token",
                  detail: "a token writes under one library device id (decision 0017)")
    }

    /// The refusal of a first push declaring a library device id another device owns (HTTP 403).
    static func claimed(_ library: String) -> SyncError {
        SyncError(.forbidden, message: "the library device id \(library) belongs to another device of this user; revoke that device first")
    }

    /// The refusal of an append that would take a stream past its quota (HTTP 507).
    static func quota(_ quota: StreamQuota, count: Int64, bytes: Int64) -> SyncError {
        SyncError(.quotaExceeded,
                  message: "this user's stream is full (at most \(quota.operations) operations and \(quota.bytes) bytes); ask the server's administrator to compact it or raise --quota-ops/--quota-bytes",
                  detail: "the push would make it \(count) operations and \(bytes) bytes")
    }
}

/// How much one user's stream may hold (decision 0017): operations and bytes of their JSON,
/// counted after compaction. An append that would pass either fails with `quotaExceeded` and
/// stores nothing.
public struct StreamQuota: Sendable, Equatable {
    public var operations: Int64
    public var bytes: Int64
    /// What the operations one device pushed may take of the stream (`deviceQuotaExceeded`
    /// above): so that one hostile device cannot fill its user's quota alone.
    public var deviceOperations: Int64
    public var deviceBytes: Int64
    public init(operations: Int64, bytes: Int64, deviceOperations: Int64 = .max, deviceBytes: Int64 = .max) {
        self.operations = operations
        self.bytes = bytes
        self.deviceOperations = deviceOperations
        self.deviceBytes = deviceBytes
    }
    /// No limit (administration commands, tests of other things).
    public static let unlimited = StreamQuota(operations: .max, bytes: .max)
}

/// A user's stream as `sync-server compact` sees it.
public struct StreamHead: Sendable, Equatable {
    public var userID: Int64
    public var user: String
    /// The last sequence number of the stream (0 when empty).
    public var head: Int64
}

/// Where the sync server keeps users, devices and operation streams: SQLite by default
/// (`SQLiteSyncStorage`, one server process), PostgreSQL for several server processes over one
/// database (`PostgresSyncStorage`).
///
/// Rules every backend keeps:
/// - each user has one append-only stream numbered 1, 2, 3, … without gaps, also under
///   concurrent appends from several processes (a per-user counter raised in the appending
///   transaction, which holds the user's row until it commits);
/// - an operation id (`UserOperation.id`, its encoded HLC timestamp) is stored at most once per
///   user: appending it again is counted as a duplicate and changes nothing;
/// - tokens are stored only as their SHA-256;
/// - compaction deletes only what `Compaction.survivors` drops and never renumbers.
///
/// Methods are async and must not block the caller's executor.
public protocol SyncStorage: Sendable {
    /// Creates the user if needed and a device with the given token hash; returns the device id.
    func addDevice(user: String, name: String, tokenHash: String, now: Int64) async throws(SyncError) -> Int64
    /// Every device, by user then id.
    func listDevices() async throws(SyncError) -> [DeviceRecord]
    /// Revokes a device (its token stops working at once). False when there is no such device.
    func revokeDevice(id: Int64) async throws(SyncError) -> Bool
    /// The user and device of a token hash, unless unknown or revoked.
    func authenticate(tokenHash: String) async throws(SyncError) -> SyncPrincipal?
    /// Appends the operations not already in the user's stream, in the given order, atomically.
    ///
    /// A device (token) writes under exactly one library device id (decision 0017): the one it
    /// is bound to, or at its first push `library` (what the client declares), else the
    /// batch's last operation's id — if no other active device of the user owns that id (a
    /// revoked owner's id passes to the next token that binds to it). Operations under any other
    /// id are not stored (`AppendResult.foreign`; duplicates of stored ones count as
    /// duplicates), so no device can shadow or forge another's operations, nor spread itself
    /// over many ids. Each stored operation is attributed to the pushing device, for its quota.
    ///
    /// - Throws: `SyncError` `.quotaExceeded` / `.deviceQuotaExceeded` (nothing stored) when the
    ///   stream, or this device's share of it, would then hold more than `quota` allows;
    ///   `.forbidden` when `library` is not the id the token is bound to, or another active
    ///   device owns it; `.storage`/`.unavailable` when the backend fails.
    func append(userID: Int64, deviceID: Int64, library: String?, ops: [IncomingOperation],
                quota: StreamQuota) async throws(SyncError) -> AppendResult
    /// Records that a device has applied its stream through `cursor` with nothing it sent
    /// awaiting an acknowledgement (the cursor never moves back). Compaction collects a removal only once
    /// every active device of the user has acknowledged past it.
    func acknowledge(deviceID: Int64, cursor: Int64, now: Int64) async throws(SyncError)
    /// Up to `limit` operations of the user's stream after `after`, no more of them than fit in
    /// `maxBytes` of JSON (but always the first one, whatever its size, so a page always moves
    /// the cursor), and the stream's head.
    func read(userID: Int64, after: Int64, limit: Int, maxBytes: Int) async throws(SyncError) -> (ops: [StoredOperation], head: Int64)
    /// What the user's stream holds now (after compaction): operations and bytes, the figures
    /// `StreamQuota` bounds.
    func usage(userID: Int64) async throws(SyncError) -> (operations: Int64, bytes: Int64)
    /// Totals for `/metrics`: users, devices, operations appended (compacted ones included).
    func totals() async throws(SyncError) -> (users: Int, devices: Int, operations: Int)
    /// Every user's stream head, by user id.
    func streams() async throws(SyncError) -> [StreamHead]
    /// Compacts the stream of `userID` up to `through` (inclusive): the operations that no
    /// longer matter (`Compaction.survivors`) are deleted, and the removals (tombstones) that
    /// every non-revoked device of the user has acknowledged; the others keep their sequence
    /// numbers, so every device's cursor stays valid. Safe while serving, from any process.
    ///
    /// - Returns: how many operations of that prefix were kept and removed.
    func compact(userID: Int64, through: Int64) async throws(SyncError) -> (kept: Int, removed: Int)
    // MARK: Administration (decision 0022)

    /// Every user with the size of their stream, by name.
    func users() async throws(SyncError) -> [UserRecord]
    /// Renames a device. False when there is no such device.
    func renameDevice(id: Int64, name: String) async throws(SyncError) -> Bool
    /// Deletes a user, their devices (tokens stop working at once), claims and whole stream.
    /// False when there is no such user.
    func deleteUser(id: Int64) async throws(SyncError) -> Bool
    /// Records that a device was heard from (`lastSeenAt`).
    func touch(deviceID: Int64, now: Int64) async throws(SyncError)
    /// Stores an administrator token (its SHA-256) under a name; returns its id.
    func addAdminToken(name: String, tokenHash: String, now: Int64) async throws(SyncError) -> Int64
    /// The name of the administrator token with this hash, if any.
    func adminName(tokenHash: String) async throws(SyncError) -> String?
    /// How many administrator tokens exist (the page is served only when there is one).
    func adminTokenCount() async throws(SyncError) -> Int
    /// Deletes every administrator token (the page is then no longer served); returns how many.
    func removeAdminTokens() async throws(SyncError) -> Int
    /// Appends to the audit log.
    func audit(_ entry: AuditEntry) async throws(SyncError)
    /// The newest `limit` audit entries, newest first.
    func auditLog(limit: Int) async throws(SyncError) -> [AuditEntry]

    /// Background work the storage needs while it is used (PostgreSQL: the connection pool and
    /// a `LISTEN` for other processes' appends); returns when its task is cancelled. Calls
    /// `wake(user)` when another process appended to `user`'s stream, `wake(nil)` when any
    /// stream may have grown unseen (the notification connection was lost and is back).
    /// Storage used by one process only (SQLite) has nothing to do and returns at once.
    func run(wake: @escaping @Sendable (Int64?) -> Void) async
}

extension SyncStorage {
    public func run(wake: @escaping @Sendable (Int64?) -> Void) async {}

    /// `read(userID:after:limit:maxBytes:)` without a byte bound.
    public func read(userID: Int64, after: Int64, limit: Int) async throws(SyncError) -> (ops: [StoredOperation], head: Int64) {
        try await read(userID: userID, after: after, limit: limit, maxBytes: .max)
    }

    /// `append(userID:deviceID:ops:quota:)` of operations given as (id, body), each bound to
    /// the device id inside its id (tests and tools that store prepared operations).
    public func append(userID: Int64, deviceID: Int64, ops: [(id: String, body: [UInt8])],
                       quota: StreamQuota = .unlimited) async throws(SyncError) -> AppendResult {
        try await append(userID: userID, deviceID: deviceID, library: nil,
                         ops: ops.map { IncomingOperation(id: $0.id, device: HLCTimestamp(encoded: $0.id)?.device ?? "", body: $0.body) },
                         quota: quota)
    }

    /// Runs `body` with the storage's background work running (commands that use the storage
    /// without serving: `add-device`, `compact`, tests).
    public func using<T: Sendable>(_ body: (Self) async throws -> T) async throws -> T {
        let background = Task.detached { await self.run(wake: { _ in }) }
        defer { background.cancel() }
        return try await body(self)
    }
}
