import Foundation
import GRDB
@testable import LocalStore
import Testing
import TestSupport

/// `Library.spaceOutCheckpoints()`: while a scan writes, the WAL is not copied back every
/// 1,000 pages (only every `scanCheckpointPages`); once restored, the next commit copies it all (decision 0039, "Writer, fourth
/// round").
@Suite("The library's checkpoints while a scan writes")
struct LibraryCheckpointTests {
    /// Pages of the database file itself (what checkpoints have copied into it).
    func filePages(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0) / 4096
    }

    @Test("Given spaced-out checkpoints, when 1,500 pages are committed, then they stay in the WAL, readers see them, and after restore() the next commit copies them into the database file")
    func spacedOutThenCopied() throws {
        let folder = try TemporaryDirectory("library-checkpoints")
        let path = folder.appending("library.sqlite")
        let library = try Library(path: path)
        #expect(try library.checkpointInterval() == 1000)
        let before = try filePages(path)

        var checkpoints = library.spaceOutCheckpoints()
        #expect(try library.checkpointInterval() == Library.scanCheckpointPages)
        try library.writer.write { db in
            try db.execute(sql: "CREATE TABLE bulk(x BLOB)")
            for _ in 0..<3 { try db.execute(sql: "INSERT INTO bulk VALUES (zeroblob(2000000))") }  // ~1,500 pages
        }
        try library.writer.write { db in try db.execute(sql: "INSERT INTO bulk VALUES (x'01')") }
        #expect(try filePages(path) == before)  // not checkpointed (SQLite's 1,000 would have)
        #expect(try library.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM bulk") } == 4)

        checkpoints.restore()
        checkpoints.restore()  // once only: a second call does nothing
        #expect(try library.checkpointInterval() == 1000)
        try library.writer.write { db in try db.execute(sql: "INSERT INTO bulk VALUES (x'02')") }
        let pages = try library.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        #expect(pages > 1_400)
        #expect(try filePages(path) == pages)
    }
}
