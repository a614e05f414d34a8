import Foundation
import GRDB
@testable import Indexer
import LibraryTestSupport
import LocalStore
import OmniModel
import TestSupport

/// A private copy of a corpus, a library in a temporary folder, and an indexer over them
/// (`TestLibrary`), with what Indexer's suites ask of the stored rows.
final class IndexerFixture: TestLibrary, @unchecked Sendable {
    init(tracks: Int = 120, formats: [String] = Corpus.defaultFormats, seed: Int = 1) throws {
        try super.init("indexer", tracks: tracks, formats: formats, seed: seed)
    }

    /// A track as stored, found by its primary file's relative path.
    struct Stored {
        var uid: String
        var title: String
        var artist: String?
        var album: String?
        var albumArtist: String?
        var trackNumber: Int?
        var discNumber: Int?
        var year: Int?
        var genres: String
        var artworkId: Int64?
        var folderArtworkId: Int64?
        var fileCount: Int
    }

    func stored(path: String) throws -> Stored? {
        try library.writer.read { db in
            try Row.fetchOne(db, sql: """
                SELECT t.uid, t.title, t.artist, t.album, t.albumArtist, t.trackNumber, t.discNumber, t.year, t.genres,
                       t.artworkId, t.folderArtworkId, (SELECT count(*) FROM file f2 WHERE f2.trackId = t.id) AS files
                FROM file f JOIN track t ON t.id = f.trackId WHERE f.relPath = ?
                """, arguments: [Data(path.utf8)]).map {
                Stored(uid: $0[0], title: $0[1], artist: $0[2], album: $0[3], albumArtist: $0[4], trackNumber: $0[5],
                       discNumber: $0[6], year: $0[7], genres: $0[8], artworkId: $0[9], folderArtworkId: $0[10], fileCount: $0[11])
            }
        }
    }

    func count(_ sql: String) throws -> Int {
        try library.writer.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    /// Checks the FTS5 index against the track rows it indexes, and SQLite's own consistency.
    /// Throws when they disagree (FTS5 reports SQLITE_CORRUPT_VTAB).
    func checkIndexes() throws -> String {
        try library.writer.write { db in
            try db.execute(sql: "INSERT INTO trackFts(trackFts, rank) VALUES('integrity-check', 1)")
            return try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? ""
        }
    }

    func uids() throws -> Set<String> {
        Set(try library.writer.read { db in try String.fetchAll(db, sql: "SELECT uid FROM track") })
    }

    func move(_ from: String, _ to: String) throws {
        let target = (music as NSString).appendingPathComponent(to)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: (music as NSString).appendingPathComponent(from), toPath: target)
    }
}
