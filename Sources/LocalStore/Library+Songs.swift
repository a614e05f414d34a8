import Foundation
import GRDB
import OmniModel

/// One file of the library with the track it holds: what a file-oriented front door (MPD's
/// protocol names songs by path) lists. Two files of the same recording are two values with the
/// same `track`.
public struct TrackFile: Sendable, Equatable {
    /// The `root` row the file is under.
    public var rootID: Int64
    /// The path under that root, as bytes.
    public var relativePath: RawPath
    /// The file's modification time (nanoseconds since 1970) as the last scan saw it.
    public var mtimeNs: Int64
    /// The track (effective tags and user state).
    public var track: TrackRecord
}

extension Library {
    /// Every file that holds a track, with its track, ordered by root and path.
    ///
    /// One read transaction; about a row per file. Synchronous; any thread.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func trackFiles() throws(StoreError) -> [TrackFile] {
        try read("listing the library's files") { db in
            // The track columns first: `TrackRecord(row:)` reads them by position.
            try Row.fetchAll(db, sql: """
                SELECT \(TrackRecord.selection()), file.rootId, file.relPath, file.mtimeNs
                FROM file JOIN track ON track.id = file.trackId
                ORDER BY file.rootId, file.relPath
                """).map { row in
                let n = TrackRecord.selectionWidth
                return TrackFile(rootID: row[n], relativePath: RawPath(bytes: [UInt8](row[n + 1] as Data)),
                                 mtimeNs: row[n + 2], track: TrackRecord(row: row))
            }
        }
    }
}

extension Library {
    /// The picture with the `artwork` row `id` (a track's `artworkId` or `folderArtworkId`).
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func artwork(id: Int64) throws(StoreError) -> ArtworkReference? {
        try read("reading a picture") { db in
            try Row.fetchOne(db, sql: "SELECT hash, mimeType, byteCount FROM artwork WHERE id = ?", arguments: [id])
                .map(ArtworkReference.init(row:))
        }
    }
}
