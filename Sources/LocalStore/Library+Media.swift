import Foundation
import GRDB
import OmniModel

/// Where a track's bytes and pictures are: what the HTTP layer needs to stream audio and serve
/// artwork. Read-only; every method is one short read transaction (blocking, any thread).
extension Library {
    /// The primary file of the track with `uid` (the lowest `file.id`, as in `TrackRecord.path`),
    /// as its root's absolute path and its path relative to that root, or nil when the track is
    /// unknown or has no file.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func mediaFile(uid: TrackUID) throws(StoreError) -> MediaFile? {
        try read("locating a track's file") { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT root.path AS rootPath, root.online AS online, file.relPath AS relPath, file.size AS size
                FROM track JOIN file ON file.trackId = track.id JOIN root ON root.id = file.rootId
                WHERE track.uid = ? ORDER BY file.id LIMIT 1
                """), arguments: [uid.rawValue]).map { row in
                MediaFile(root: RawPath(bytes: [UInt8](row["rootPath"] as Data)),
                          relativePath: RawPath(bytes: [UInt8](row["relPath"] as Data)),
                          rootOnline: row["online"], size: row["size"])
            }
        }
    }

    /// The artwork of the track with `uid`: its embedded picture, else its folder's picture.
    /// Nil when the track is unknown or has none.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func trackArtwork(uid: TrackUID) throws(StoreError) -> ArtworkReference? {
        try read("reading a track's artwork") { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT artwork.hash, artwork.mimeType, artwork.byteCount FROM track
                JOIN artwork ON artwork.id = coalesce(track.artworkId, track.folderArtworkId)
                WHERE track.uid = ?
                """), arguments: [uid.rawValue]).map(ArtworkReference.init(row:))
        }
    }

    /// The artwork of album `id`: the album's own, else the first of its tracks' (disc, track order).
    /// Nil when the album is unknown or has none.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func albumArtwork(albumID: Int64) throws(StoreError) -> ArtworkReference? {
        try read("reading an album's artwork") { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT artwork.hash, artwork.mimeType, artwork.byteCount FROM artwork
                WHERE artwork.id = coalesce(
                    (SELECT artworkId FROM album WHERE id = ?1),
                    (SELECT coalesce(artworkId, folderArtworkId) FROM track
                     WHERE albumId = ?1 AND coalesce(artworkId, folderArtworkId) IS NOT NULL
                     ORDER BY discNumber, trackNumber LIMIT 1))
                """), arguments: [albumID]).map(ArtworkReference.init(row:))
        }
    }
}

/// A track's file: root and relative path as bytes (names need not be UTF-8).
public struct MediaFile: Sendable, Equatable {
    /// The music root's absolute path.
    public var root: RawPath
    /// The path under the root.
    public var relativePath: RawPath
    /// False while the root is missing (unmounted disk).
    public var rootOnline: Bool
    /// The size the last scan saw, in bytes.
    public var size: Int64

    /// The absolute path.
    public var absolutePath: RawPath { root.appending(relativePath) }
}

/// A picture in the artwork cache (`ArtworkCache.path(forHash:)`).
public struct ArtworkReference: Sendable, Equatable {
    /// The SHA-256 of the image bytes, lowercase hex: the cache address and a strong ETag.
    public var hash: String
    public var mimeType: String
    public var byteCount: Int

    init(row: Row) {
        hash = row[0]
        mimeType = row[1]
        byteCount = row[2]
    }
}
