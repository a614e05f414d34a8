import Foundation
import GRDB
import OmniModel

/// The write path of scans: roots, files and the tracks read from them.
///
/// These methods are only for what is read from files. User changes (edits, ratings, playlists)
/// go through the operation log (`Library.record(_:)`); the scan applies the user's overrides
/// to the tags it writes, so edits survive rescans (decision 0007).
extension Library {
    /// Returns the root for `path`, creating it (online) when new.
    public func ensureRoot(_ path: RawPath) throws(StoreError) -> MusicRoot {
        try write("registering a music folder") { db in
            let bytes = Data(path.bytes)
            if let row = try Row.fetchOne(db, sql: "SELECT id, online FROM root WHERE path = ?", arguments: [bytes]) {
                return MusicRoot(id: row["id"], path: path, online: row["online"])
            }
            try db.execute(sql: "INSERT INTO root(path, online) VALUES (?, 1)", arguments: [bytes])
            return MusicRoot(id: db.lastInsertedRowID, path: path, online: true)
        }
    }

    /// Every known music folder.
    public func roots() throws(StoreError) -> [MusicRoot] {
        try read("listing music folders") { db in
            try Row.fetchAll(db, sql: "SELECT id, path, online FROM root ORDER BY id").map {
                MusicRoot(id: $0["id"], path: RawPath(bytes: [UInt8]($0["path"] as Data)), online: $0["online"])
            }
        }
    }

    /// Marks a root online or offline (and records the scan time when it comes online).
    public func setRoot(_ id: Int64, online: Bool) throws(StoreError) {
        try write("updating a music folder") { db in
            try db.execute(sql: "UPDATE root SET online = ?, lastScanAt = CASE WHEN ? THEN ? ELSE lastScanAt END WHERE id = ?",
                           arguments: [online, online, Date().timeIntervalSince1970, id])
        }
    }

    /// Every file row of the given roots, for comparison with a walk, sorted by root then by path
    /// bytes (the order of `RawPath`'s `<`).
    public func storedFiles(roots rootIDs: [Int64]) throws(StoreError) -> [StoredFile] {
        try read("reading the file list") { db in
            var files: [StoredFile] = []
            for rootID in rootIDs {
                let cursor = try Row.fetchCursor(db, sql: "SELECT \(StoredFile.columns) FROM file WHERE rootId = ? ORDER BY relPath",
                                                 arguments: [rootID])
                while let row = try cursor.next() { files.append(StoredFile(row: row, rootID: rootID)) }
            }
            return files
        }
    }

    /// The file rows of one root under `folder` (relative; empty for the whole root): every one
    /// below it when `recursive`, else only those directly in it. Sorted by path bytes.
    public func storedFiles(root rootID: Int64, folder: RawPath, recursive: Bool) throws(StoreError) -> [StoredFile] {
        try read("reading the file list of a folder") { db in
            var sql = "SELECT \(StoredFile.columns) FROM file WHERE rootId = ?"
            var arguments: StatementArguments = [rootID]
            let prefix = folder.isEmpty ? [] : folder.bytes + [UInt8(ascii: "/")]
            if !prefix.isEmpty {
                // Paths under `folder/` sort between "folder/" and "folder0" ('0' follows '/').
                var upper = prefix
                upper[upper.count - 1] = UInt8(ascii: "0")
                sql += " AND relPath >= ? AND relPath < ?"
                _ = arguments.append(contentsOf: [Data(prefix), Data(upper)])
            }
            if !recursive {
                sql += " AND instr(substr(relPath, ?), X'2F') = 0"
                _ = arguments.append(contentsOf: [prefix.count + 1])
            }
            sql += " ORDER BY relPath"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { StoredFile(row: $0, rootID: rootID) }
        }
    }

    /// The stored folder pictures of the given roots.
    public func storedFolderArtwork(roots rootIDs: [Int64]) throws(StoreError) -> [StoredFolderArtwork] {
        try read("reading folder pictures") { db in
            var result: [StoredFolderArtwork] = []
            for rootID in rootIDs {
                for row in try Row.fetchAll(db, sql: """
                    SELECT f.folder, f.relPath, f.size, f.mtimeNs, a.hash, a.mimeType, a.byteCount
                    FROM folderArtwork f LEFT JOIN artwork a ON a.id = f.artworkId WHERE f.rootId = ?
                    """, arguments: [rootID]) {
                    let hash: String? = row[4]
                    result.append(StoredFolderArtwork(
                        rootID: rootID, folder: RawPath(bytes: [UInt8](row[0] as Data)),
                        relativePath: RawPath(bytes: [UInt8](row[1] as Data)), size: row[2], mtimeNs: row[3],
                        artwork: hash.map { StoredArtwork(hash: $0, mimeType: row[5], byteCount: row[6]) }))
                }
            }
            return result
        }
    }

    /// Writes one batch of scan results in a single transaction.
    ///
    /// - Parameter reportingChanges: read back the uids of the tracks the batch touched (one
    ///   more query; partial rescans announce them, full scans do not).
    /// - Returns: with `reportingChanges`, the tracks the batch added, changed or moved (for
    ///   change events); otherwise empty.
    /// - Throws: `StoreError` (`store.disk_full` when SQLite reports a full disk); the whole
    ///   batch is then rolled back.
    @discardableResult
    public func apply(_ batch: ScanBatch, reportingChanges: Bool = false) throws(StoreError) -> [TrackUID] {
        if batch.isEmpty { return [] }
        var pending: ScanBatch? = batch
        return try apply(chunks: {
            defer { pending = nil }
            return pending
        }, reportingChanges: reportingChanges)
    }

    /// Writes scan results in a single transaction, a chunk at a time, as `next` hands them
    /// over, until it returns nil.
    ///
    /// The scan's writer takes its probe results as they come (a hand-off of a few dozen) and
    /// writes each at once, instead of gathering a whole batch and then writing it in one
    /// burst, during which the probe threads filled their queue and stopped: a core stood idle
    /// for about a third of the scan (decision 0039). `next` runs inside the transaction, on
    /// the calling thread, and may block while it waits for results; keep its waits short,
    /// since the database's writer is held meanwhile.
    ///
    /// - Parameter reportingChanges: read back the uids of the tracks the transaction touched.
    /// - Returns: with `reportingChanges`, the tracks added, changed or moved; otherwise empty.
    /// - Throws: `StoreError`; everything written since the transaction began is rolled back.
    @discardableResult
    public func apply(chunks next: () -> ScanBatch?, reportingChanges: Bool = false) throws(StoreError) -> [TrackUID] {
        // The writer steps its track, file and link statements directly (`DirectStatement`),
        // unseen by GRDB's observers: the kept Subsonic album rows are told after the commit.
        defer { albumSummaries.invalidate() }
        return try write("saving scan results") { db in
            let now = Date().timeIntervalSince1970
            var writer = TrackWriter(db: db, now: now)
            var stale: Set<Int64> = []
            while let batch = next() {
                if batch.isEmpty { continue }
                // Existing tracks this chunk may change leave the search index first (see SearchIndex).
                var chunkStale: [Int64] = []
                if !batch.probed.isEmpty {
                    let uids = batch.probed.compactMap { probed -> String? in
                        if case .track(let result, _, _) = probed.outcome { return result.uid.rawValue }
                        return nil
                    }
                    // The same query tells the writer which of the chunk's recordings exist
                    // already, sparing a lookup by uid per file (`TrackWriter.existingTracks`).
                    var existing: [String: Int64] = [:]
                    let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT id, uid FROM track WHERE uid IN (SELECT value FROM json_each(?))"),
                                                   arguments: [JSONText.array(uids)])
                    while let row = try rows.next() {
                        let id: Int64 = row[0]
                        chunkStale.append(id)
                        existing[row[1]] = id
                    }
                    writer.existingTracks = existing
                } else {
                    writer.existingTracks = nil
                }
                if !batch.moved.isEmpty {
                    chunkStale += try Int64.fetchAll(db.cachedStatement(sql: """
                        SELECT DISTINCT trackId FROM file WHERE trackId IS NOT NULL AND id IN (SELECT value FROM json_each(?))
                        """), arguments: ["[" + batch.moved.map { String($0.fileID) }.joined(separator: ",") + "]"])
                }
                // A track already taken out (an earlier chunk wrote it) is not in the index.
                let leaving = Set(chunkStale).subtracting(stale).subtracting(writer.touched)
                try SearchIndex.remove(leaving, in: db)
                stale.formUnion(leaving)

                for picture in batch.folderPictures { try writer.saveFolderPicture(picture) }
                for (rootID, folder) in batch.removedFolderPictures { try writer.removeFolderPicture(rootID: rootID, folder: folder) }
                if !batch.removed.isEmpty {
                    for chunk in batch.removed.chunked(500) {
                        try db.execute(sql: "DELETE FROM file WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                                       arguments: StatementArguments(chunk))
                    }
                }
                for moved in batch.moved { try writer.move(moved) }
                for probed in batch.probed { try writer.save(probed) }
            }
            let touched = writer.touched.union(stale)
            try SearchIndex.add(touched, folded: writer.folded, in: db)
            if touched.isEmpty || !reportingChanges { return [] }
            return try String.fetchAll(db, sql: "SELECT uid FROM track WHERE id IN (SELECT value FROM json_each(?))",
                                       arguments: ["[" + touched.map(String.init).joined(separator: ",") + "]"]).map(TrackUID.init(rawValue:))
        }
    }

    /// Removes what no file refers to any more (tracks, albums, artists, genres, pictures) and
    /// recomputes album artwork. Run once at the end of a scan.
    ///
    /// - Returns: the tracks removed and the pictures no longer used (whose cache files may be
    ///   deleted).
    @discardableResult
    public func finishScan() throws(StoreError) -> ScanCleanup {
        try write("cleaning up after a scan") { db in
            var removedTracks: [TrackUID] = []
            let orphanRows = try Row.fetchAll(db, sql: """
                SELECT id, uid FROM track WHERE NOT EXISTS (SELECT 1 FROM file WHERE file.trackId = track.id)
                """)
            let orphans: [Int64] = orphanRows.map { $0[0] }
            removedTracks = orphanRows.map { TrackUID(rawValue: $0[1]) }
            if !orphans.isEmpty {
                try SearchIndex.remove(orphans, in: db)
                try db.execute(sql: "DELETE FROM track WHERE id IN (SELECT value FROM json_each(?))",
                               arguments: ["[" + orphans.map(String.init).joined(separator: ",") + "]"])
            }
            try db.execute(sql: """
                DELETE FROM album WHERE NOT EXISTS (SELECT 1 FROM track WHERE track.albumId = album.id);
                DELETE FROM artist WHERE NOT EXISTS (SELECT 1 FROM trackArtist WHERE trackArtist.artistId = artist.id);
                DELETE FROM genre WHERE NOT EXISTS (SELECT 1 FROM trackGenre WHERE trackGenre.genreId = genre.id);
                UPDATE album SET artworkId = COALESCE(
                    (SELECT artworkId FROM track WHERE albumId = album.id AND artworkId IS NOT NULL
                     ORDER BY discNumber, trackNumber, id LIMIT 1),
                    (SELECT folderArtworkId FROM track WHERE albumId = album.id AND folderArtworkId IS NOT NULL
                     ORDER BY discNumber, trackNumber, id LIMIT 1));
                """)
            // The set of used pictures is built once (NOT IN materializes it), instead of
            // scanning the tracks for every picture.
            let used = """
                SELECT artworkId FROM track WHERE artworkId IS NOT NULL
                UNION SELECT folderArtworkId FROM track WHERE folderArtworkId IS NOT NULL
                UNION SELECT artworkId FROM album WHERE artworkId IS NOT NULL
                UNION SELECT artworkId FROM folderArtwork WHERE artworkId IS NOT NULL
                """
            let unused = try String.fetchAll(db, sql: "SELECT hash FROM artwork WHERE id NOT IN (\(used))")
            if !unused.isEmpty {
                try db.execute(sql: "DELETE FROM artwork WHERE id NOT IN (\(used))")
            }
            return ScanCleanup(removedTracks: removedTracks, unusedArtwork: unused)
        }
    }

    /// Counts for status output: tracks, files, files with errors, albums, artists.
    public func statistics() throws(StoreError) -> LibraryStatistics {
        try read("counting the library") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM track), (SELECT count(*) FROM file),
                       (SELECT count(*) FROM file WHERE trackId IS NULL), (SELECT count(*) FROM album),
                       (SELECT count(*) FROM artist), (SELECT count(*) FROM genre)
                """)!
            return LibraryStatistics(tracks: row[0], files: row[1], failedFiles: row[2], albums: row[3], artists: row[4], genres: row[5])
        }
    }

    // MARK: - Helpers shared by the Library extensions

    /// Runs a write transaction, converting errors once.
    func write<T>(_ doing: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.write(body)
        } catch {
            throw StoreError(error, while: doing)
        }
    }

    /// Runs a read, converting errors once.
    func read<T>(_ doing: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw StoreError(error, while: doing)
        }
    }
}

/// Library totals.
public struct LibraryStatistics: Sendable, Equatable, Codable {
    public var tracks: Int
    public var files: Int
    public var failedFiles: Int
    public var albums: Int
    public var artists: Int
    public var genres: Int
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension StoredFile {
    /// The `file` columns `init(row:rootID:)` reads, in its order.
    static let columns = "id, relPath, size, mtimeNs, ctimeNs, inode, device, trackId"

    /// A row selected with `columns`.
    init(row: Row, rootID: Int64) {
        let path: Data = row[1]
        self.init(id: row[0], rootID: rootID, relativePath: RawPath(bytes: [UInt8](path)),
                  size: row[2], mtimeNs: row[3], ctimeNs: row[4],
                  inode: UInt64(bitPattern: row[5]), device: UInt64(bitPattern: row[6]), trackID: row[7])
    }
}
