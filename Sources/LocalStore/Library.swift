import Foundation
import GRDB
import OmniModel

/// The music library database: the one object through which every module reads and writes it.
///
/// Follows GRDB's app-database pattern: a `Sendable` value holding a `DatabaseWriter`
/// (a `DatabasePool` in WAL mode for files, a `DatabaseQueue` in memory for tests), with the
/// migrations run when it opens. Reads may run concurrently from any thread; writes are
/// serialized by GRDB. Every method is synchronous and may block on I/O: call it from a
/// dedicated thread or wrap it, never in a tight loop on the cooperative pool.
public struct Library: Sendable {
    /// The underlying connection (pool or queue).
    public let writer: any DatabaseWriter
    /// Every album's row for the OpenSubsonic door's album lists, kept per library state.
    let albumSummaries: SubsonicAlbumSummaries

    /// Opens (creating if needed) the library at `path` and migrates it to the current schema.
    ///
    /// A copy of a library file takes a device id of its own here (`Library+DeviceIdentity.swift`).
    ///
    /// - Throws: `StoreError` (`store.cannot_open`) when the file cannot be opened or migrated.
    public init(path: String) throws(StoreError) {
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in
                // NORMAL is durable across application crashes in WAL mode; only a power loss
                // may lose the last transactions, never consistency.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // A WAL a scan let grow (`spaceOutCheckpoints`: up to 16 MiB) is cut back to
                // 4 MiB, SQLite's usual length, when the writer next starts it over.
                try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
                // The search index's content view calls it (readers too, for 'integrity-check').
                db.add(function: SearchIndex.foldFunction)
                db.add(function: AnalysisSearch.keyRankFunction)
            }
            // 0600 whatever the umask (decision 0017); not for in-memory or special paths.
            if !path.isEmpty, path != ":memory:" { try PrivateFiles.prepareDatabase(path) }
            let pool = try DatabasePool(path: path, configuration: config)
            try self.init(writer: pool)
            try claimDeviceIdentity(path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.cannotOpen, message: "cannot open the library at \(path)", detail: String(describing: error))
        }
    }

    /// Wraps an existing writer (an in-memory `DatabaseQueue` in tests) and migrates it.
    public init(writer: any DatabaseWriter) throws(StoreError) {
        self.writer = writer
        do {
            // The search index is written through a view that calls this function (`SearchIndex`).
            writer.writeWithoutTransaction { db in
                db.add(function: SearchIndex.foldFunction)
                db.add(function: AnalysisSearch.keyRankFunction)
            }
            try Schema.migrator().migrate(writer)
        } catch {
            // A full disk is said as such (a new library's migrations write a few hundred KiB).
            let wrapped = StoreError(error, while: "migrating the library")
            if wrapped.reason == .diskFull { throw wrapped }
            throw StoreError(.cannotOpen, message: "cannot migrate the library", detail: String(describing: error))
        }
        albumSummaries = SubsonicAlbumSummaries(writer: writer)
    }

    /// An empty in-memory library (tests and benchmarks).
    public static func inMemory() throws(StoreError) -> Library {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            db.add(function: SearchIndex.foldFunction)
            db.add(function: AnalysisSearch.keyRankFunction)
        }
        do {
            return try Library(writer: DatabaseQueue(configuration: config))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.cannotOpen, message: "cannot open an in-memory library", detail: String(describing: error))
        }
    }
}
