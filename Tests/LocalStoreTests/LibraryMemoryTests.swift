import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing
import TestSupport

@Suite("The library hands its SQLite memory back when idle")
struct LibraryMemoryTests {
    @Test("Given a file library whose pooled reader has a setting of its own, when releaseMemory() runs, then the next read runs on a fresh connection that has the library's SQL functions, and writes still work")
    func releaseClosesReaders() throws {
        let folder = try TemporaryDirectory("library-memory")
        let library = try Library(path: folder.appending("library.sqlite"))
        let pool = try #require(library.writer as? DatabasePool)
        // A mark on the pooled reader connection: a page cache size no connection has by default.
        try pool.read { try $0.execute(sql: "PRAGMA cache_size = -1234") }
        #expect(try pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -1234) // the same reader, reused

        library.releaseMemory()

        // The reader was closed: a new one, with SQLite's default cache and the functions that
        // `prepareDatabase` registers (the search index's content view calls one).
        #expect(try pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } != -1234)
        #expect(try pool.read { try String.fetchOne($0, sql: "SELECT omni_search_fold('Ébène')") } == SearchFolding.document("Ébène"))
        try pool.write { try $0.execute(sql: "CREATE TABLE scratch(x)") }
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM scratch") } == 0)
    }
}
