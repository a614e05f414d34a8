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
    public init(operations: Int64, bytes: Int64) {
        self.operations = operations
        self.bytes = bytes
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
    /// Each library device id (`IncomingOperation.device`) belongs to the first device (token)
    /// of the user that pushed under it, or — once that device is revoked — to the next one;
    /// operations under an id another active device owns are not stored (`AppendResult.foreign`),
    /// so no device can shadow or forge another's operations (decision 0017).
    ///
    /// - Throws: `SyncError` `.quotaExceeded` (nothing stored) when the stream would then hold
    ///   more than `quota` allows; `.storage`/`.unavailable` when the backend fails.
    func append(userID: Int64, deviceID: Int64, ops: [IncomingOperation], quota: StreamQuota) async throws(SyncError) -> AppendResult
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
        try await append(userID: userID, deviceID: deviceID,
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
