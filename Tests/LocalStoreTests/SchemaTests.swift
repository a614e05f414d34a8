import GRDB
@testable import LocalStore
import Testing
import TestSupport

@Suite("The library schema")
struct SchemaTests {
    @Test("A new library file is created in WAL mode with the FTS5 index and its vocabulary")
    func newLibraryHasFTS() throws {
        let dir = try TemporaryDirectory("schema")
        let library = try Library(path: dir.appending("library.sqlite"))
        let (mode, tables) = try library.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
        }
        #expect(mode == "wal")
        #expect(tables.contains("track"))
        #expect(tables.contains("trackFts"))
        #expect(tables.contains("trackFtsVocab"))
    }

    @Test("Name keys ignore case, diacritics, width and NFD normalization")
    func textKeys() {
        #expect(TextKey.fold("Björk") == "bjork")
        #expect(TextKey.fold("HÜSKER  DÜ ") == "husker du")
        #expect(TextKey.fold("Bjo\u{308}rk") == "bjork")
        #expect(TextKey.fold("坂本龍一") == "坂本龍一")
    }
}
