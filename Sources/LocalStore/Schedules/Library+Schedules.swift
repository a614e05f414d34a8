import Foundation
import GRDB
import OmniModel

// # Schedules: reads of the materialized `schedule` and `scheduleRun` tables
//
// Writes go through the one write path (`record(.saveSchedule…)`, `.deleteSchedule`,
// `.recordScheduleRun`), so schedules and their runs sync like every other user change; the
// player's scheduler reads these to decide what fires here. Decision record:
// docs/decisions/0028-schedules-and-statistics.md.
//
// Thread safety: like the rest of `Library`, synchronous, may block; any thread.

/// A schedule as stored: its id, definition, and when that definition was saved.
public struct StoredSchedule: Sendable, Equatable {
    public var id: String
    public var definition: ScheduleDefinition
    /// When the definition was last saved (the wall time of its operation's timestamp, ms since
    /// 1970): occurrences before it are neither fired nor missed.
    public var savedMs: Int64

    public init(id: String, definition: ScheduleDefinition, savedMs: Int64) {
        self.id = id
        self.definition = definition
        self.savedMs = savedMs
    }
}

/// One handled occurrence of a schedule, as listed in its history.
public struct ScheduleRunEntry: Sendable, Equatable, Codable {
    public var scheduleId: String
    /// The device that handled it.
    public var device: String
    public var plannedMs: Int64
    public var handledMs: Int64
    public var outcome: ScheduleRunRecord.Outcome
    public var reason: String?
}

/// One full scan, as `scanLog` keeps it (for the statistics' health section).
public struct ScanLogEntry: Sendable, Equatable, Codable {
    /// Seconds since 1970.
    public var startedAt: Double
    public var finishedAt: Double
    public var files: Int
    public var added: Int
    public var updated: Int
    public var removed: Int
    public var failed: Int
    /// Why it did not complete, when it did not.
    public var error: String?

    public init(startedAt: Double, finishedAt: Double, files: Int, added: Int, updated: Int, removed: Int, failed: Int, error: String? = nil) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.files = files
        self.added = added
        self.updated = updated
        self.removed = removed
        self.failed = failed
        self.error = error
    }
}

extension Library {
    /// Every schedule that is not deleted, by id. Rows whose definition cannot be decoded (from
    /// a newer version) are left out.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func schedules() throws(StoreError) -> [StoredSchedule] {
        try read("reading the schedules") { db in
            try Row.fetchAll(db, sql: "SELECT id, definition, stamp FROM schedule WHERE deleted = 0 ORDER BY id").compactMap(Self.schedule)
        }
    }

    /// One schedule, or nil when there is none with that id (or it was deleted).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func schedule(id: String) throws(StoreError) -> StoredSchedule? {
        try read("reading a schedule") { db in
            try Row.fetchOne(db, sql: "SELECT id, definition, stamp FROM schedule WHERE id = ? AND deleted = 0", arguments: [id])
                .flatMap(Self.schedule)
        }
    }

    private static func schedule(_ row: Row) -> StoredSchedule? {
        guard let text: String = row[1], let definition = try? JSONDecoder().decode(ScheduleDefinition.self, from: Data(text.utf8)),
              let stamp = HLCTimestamp(encoded: row[2]) else { return nil }
        return StoredSchedule(id: row[0], definition: definition, savedMs: stamp.wallMs)
    }

    /// Runs, newest planned first: of one schedule, or of all when `scheduleId` is nil.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func scheduleRuns(scheduleId: String? = nil, limit: Int = 50) throws(StoreError) -> [ScheduleRunEntry] {
        try read("reading the runs of schedules") { db in
            try Row.fetchAll(db, sql: """
                SELECT scheduleId, device, plannedMs, handledMs, outcome, reason FROM scheduleRun
                WHERE ? IS NULL OR scheduleId = ? ORDER BY plannedMs DESC, device LIMIT ?
                """, arguments: [scheduleId, scheduleId, max(0, limit)]).map { row in
                ScheduleRunEntry(scheduleId: row[0], device: row[1], plannedMs: row[2], handledMs: row[3],
                                 outcome: ScheduleRunRecord.Outcome(rawValue: row[4]) ?? .failed, reason: row[5])
            }
        }
    }

    /// The newest occurrence of a schedule that `device` handled (fired, failed or missed), ms.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func lastHandledRun(scheduleId: String, device: String) throws(StoreError) -> Int64? {
        try read("reading the runs of a schedule") { db in
            try Int64.fetchOne(db, sql: "SELECT max(plannedMs) FROM scheduleRun WHERE scheduleId = ? AND device = ?",
                               arguments: [scheduleId, device])
        }
    }

    /// The device ids this library has heard of (its own first): those that made an operation.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func knownDevices() throws(StoreError) -> [String] {
        try read("listing devices") { db in
            let own = try Self.deviceID(db)
            let others = try String.fetchAll(db, sql: "SELECT DISTINCT device FROM opLog WHERE device <> ? ORDER BY device", arguments: [own])
            return [own] + others
        }
    }

    /// Keeps a full scan's outcome for the statistics (the newest 50 are kept).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func recordScan(_ entry: ScanLogEntry) throws(StoreError) {
        try write("recording a scan") { db in
            try db.execute(sql: """
                INSERT INTO scanLog(startedAt, finishedAt, files, added, updated, removed, failed, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.startedAt, entry.finishedAt, entry.files, entry.added, entry.updated, entry.removed, entry.failed, entry.error])
            try db.execute(sql: "DELETE FROM scanLog WHERE id <= (SELECT max(id) FROM scanLog) - 50")
        }
    }

    /// The newest scans, newest first.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func scanLog(limit: Int = 10) throws(StoreError) -> [ScanLogEntry] {
        try read("reading the scan log") { db in
            try Row.fetchAll(db, sql: """
                SELECT startedAt, finishedAt, files, added, updated, removed, failed, error FROM scanLog ORDER BY id DESC LIMIT ?
                """, arguments: [max(0, limit)]).map {
                ScanLogEntry(startedAt: $0[0], finishedAt: $0[1], files: $0[2], added: $0[3], updated: $0[4], removed: $0[5], failed: $0[6], error: $0[7])
            }
        }
    }
}
