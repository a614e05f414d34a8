import Foundation
import GRDB
import OmniModel

/// A file of the library with its root: where a track's bytes are on disk.
public struct LibraryFile: Sendable, Equatable {
    public var id: Int64
    public var rootID: Int64
    public var rootPath: RawPath
    public var relativePath: RawPath
    /// The track it holds (nil when it failed to probe).
    public var trackUID: TrackUID?
    public var durationMs: Int?

    /// `rootPath/relativePath`.
    public var absolutePath: RawPath { rootPath.appending(relativePath) }
}

/// Lookups of files by track and by path: deleting a track, resolving playlist entries.
/// All synchronous and blocking; safe from any thread.
extension Library {
    private static let fileSelection = """
        SELECT file.id, file.rootId, root.path, file.relPath, track.uid, track.durationMs
        FROM file JOIN root ON root.id = file.rootId LEFT JOIN track ON track.id = file.trackId
        """

    private static func libraryFile(_ row: Row) -> LibraryFile {
        let uid: String? = row[4]
        return LibraryFile(id: row[0], rootID: row[1], rootPath: RawPath(bytes: [UInt8](row[2] as Data)),
                           relativePath: RawPath(bytes: [UInt8](row[3] as Data)), trackUID: uid.map(TrackUID.init(rawValue:)),
                           durationMs: row[5])
    }

    /// Every file holding the track `uid` (copies of a recording share one track), primary first.
    public func files(ofTrack uid: TrackUID) throws(StoreError) -> [LibraryFile] {
        try read("reading a track's files") { db in
            try Row.fetchAll(db, sql: Self.fileSelection + " WHERE track.uid = ? ORDER BY file.id",
                             arguments: [uid.rawValue]).map(Self.libraryFile)
        }
    }

    /// The file at `relativePath` under the root `rootID`, if the library has it.
    public func file(rootID: Int64, relativePath: RawPath) throws(StoreError) -> LibraryFile? {
        try read("finding a file") { db in
            try Row.fetchOne(db, sql: Self.fileSelection + " WHERE file.rootId = ? AND file.relPath = ?",
                             arguments: [rootID, Data(relativePath.bytes)]).map(Self.libraryFile)
        }
    }

    /// Files whose name (last path component) is `name`, compared exactly, holding a track.
    public func files(named name: RawPath) throws(StoreError) -> [LibraryFile] {
        try read("finding files by name") { db in
            // relPath is a BLOB: compare the tail bytes (the name, or "/" + the name).
            let bare = Data(name.bytes)
            let suffix = Data([UInt8(ascii: "/")] + name.bytes)
            return try Row.fetchAll(db, sql: Self.fileSelection + """
                 WHERE file.trackId IS NOT NULL AND (file.relPath = ? OR substr(file.relPath, -?) = ?) ORDER BY file.id
                """, arguments: [bare, suffix.count, suffix]).map(Self.libraryFile)
        }
    }
}
