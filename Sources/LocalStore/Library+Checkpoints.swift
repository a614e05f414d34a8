import GRDB

/// WAL checkpoints while a scan writes (decision 0039, "Writer, fourth round").
///
/// SQLite copies the WAL back into the database file every 1,000 pages written (its automatic
/// checkpoint), on the thread that commits: for a scan, the writer, the scan's critical path. A
/// first scan of 10,000 files writes ~37 MB of WAL for a 15 MB library, so the same pages were
/// copied again and again (29 MiB written to the database file, 34 `fdatasync`s). While a scan
/// writes, the writer's connection checkpoints every `scanCheckpointPages` pages instead; the
/// scan restores the setting before its last transaction, whose commit then copies what is left.
extension Library {
    /// WAL pages between automatic checkpoints while a scan writes: 16 MiB of 4 KiB pages.
    /// Not "only at the end": the last checkpoint runs after the last probe, where nothing else
    /// overlaps it, and copying a whole 15 MB library there (one checkpoint for 10,000 files)
    /// made the scan's tail 50–90 ms longer (its `fdatasync` writes it all back at once); every
    /// 4,096 pages, a 10,000-file scan checkpoints three times instead of ten and its tail
    /// stays as it was. The WAL file and its index in shared memory stay bounded.
    public static let scanCheckpointPages = 4_096

    /// Spaces out the automatic checkpoints of the library's writer connection until
    /// `ScanCheckpoints.restore()`. Readers keep reading: they read the pages the WAL holds,
    /// as they do between two checkpoints.
    ///
    /// - Returns: the setting to restore; its `restore()` does nothing when reading or changing
    ///   the setting failed (the scan then runs with SQLite's own).
    public func spaceOutCheckpoints() -> ScanCheckpoints {
        do {
            let previous = try writer.writeWithoutTransaction { db in
                let previous = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 1000
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.scanCheckpointPages)")
                return previous
            }
            return ScanCheckpoints(library: self, previous: previous)
        } catch {
            return ScanCheckpoints(library: self, previous: nil)
        }
    }

    /// The automatic checkpoint interval of the writer connection, in WAL pages.
    public func checkpointInterval() throws(StoreError) -> Int {
        do {
            return try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 0 }
        } catch {
            throw StoreError(error, while: "reading the checkpoint interval")
        }
    }
}

/// The writer's checkpoint interval as it was before a scan (`Library.spaceOutCheckpoints()`).
public struct ScanCheckpoints: Sendable {
    let library: Library
    var previous: Int?

    /// Puts the interval back (once; later calls do nothing). The next commit that finds the
    /// WAL longer than the interval checkpoints it.
    public mutating func restore() {
        guard let previous else { return }
        self.previous = nil
        try? library.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(previous)")
        }
    }
}
