import Foundation
import GRDB
import Glibc
import OmniModel

// # A copied library gets a device id of its own
//
// Every operation is stamped with the device id kept in `meta` (decision 0007). A library file
// copied to another machine (or another folder) would keep it, and two devices with one id can
// make different operations with equal `(hlc, device)`: the server would keep the first and drop
// the second as a duplicate. So the library remembers where its file lives (`meta.deviceHome`:
// the file's device and inode numbers). Opened from anywhere else (a copy, a backup restored) it
// takes a new device id before anything is recorded; the ids it had are kept in
// `meta.formerDevices`, and the operations they signed up to then (`meta.formerThrough`, an op
// log seq) still count as this device's own if not yet pushed (both copies push them: the same
// operations, which the server stores once). Operations pulled later under a former id are the
// other copy's, not this one's. A move or rename
// on one file system keeps the inode, hence the id.
extension Library {
    /// Gives the library a new device id when its file at `path` is not the one it was created
    /// as (a copy); records the file's identity the first time.
    ///
    /// - Returns: the former and the new id when it changed, nil otherwise.
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    @discardableResult
    func claimDeviceIdentity(path: String) throws(StoreError) -> (former: String, new: String)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil } // not a plain file (in memory): nothing to compare
        let home = "\(info.st_dev):\(info.st_ino)"
        let stored = try read("checking where the library lives") { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'deviceHome'")
        }
        if stored == home { return nil }
        return try write("giving the library a device id of its own") { db in
            let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'deviceHome'")
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('deviceHome', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [home])
            guard current != nil, current != home else { return nil } // first open: this file is the home
            let former = try Self.deviceID(db)
            let fresh = try String.fetchOne(db, sql: "SELECT lower(hex(randomblob(8)))")!
            let formers = try Self.formerDeviceIDs(db) + [former]
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'device'", arguments: [fresh])
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('formerDevices', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [formers.joined(separator: ",")])
            let through = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM opLog") ?? 0
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('formerThrough', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [String(through)])
            return (former: former, new: fresh)
        }
    }

    /// The ids this library signed operations with before its current one (oldest first).
    static func formerDeviceIDs(_ db: Database) throws -> [String] {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'formerDevices'"))
            .map { $0.split(separator: ",").map(String.init) } ?? []
    }

    /// The op log rows that are this library's own, as an SQL condition and its arguments: its
    /// current device id, and its former ones up to the copy (see above).
    static func ownOperations(_ db: Database) throws -> (sql: String, arguments: StatementArguments) {
        let device = try deviceID(db)
        let formers = try formerDeviceIDs(db)
        if formers.isEmpty { return ("device = ?", [device]) }
        let through = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'formerThrough'"))
            .flatMap { Int64($0) } ?? 0
        return ("(device = ? OR (device IN (\(databaseQuestionMarks(count: formers.count))) AND seq <= ?))",
                [device] + StatementArguments(formers) + [through])
    }

    /// The ids this library signed operations with before its current one, oldest first (empty
    /// unless the file was copied or restored).
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func formerDeviceIDs() throws(StoreError) -> [String] {
        try read("reading the former device ids") { db in try Self.formerDeviceIDs(db) }
    }
}
