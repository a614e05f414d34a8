import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing
import TestSupport

@Suite("The library hands its SQLite memory back when idle")
struct LibraryMemoryTests {
    /// Open descriptors of this process on `path` (the writer's and every pooled reader's).
    func descriptors(on path: String) throws -> Int {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) == target
        }
    }

    @Test("Given a file library whose readers have run, when releaseMemory() runs, then the pooled readers are closed, and the next reads and writes work on fresh connections with the library's SQL functions")
    func releaseClosesReaders() throws {
        let folder = try TemporaryDirectory("library-memory")
        let path = folder.appending("library.sqlite")
        let library = try Library(path: path)
        let pool = try #require(library.writer as? DatabasePool)
        // Two reads at once: the pool opens two reader connections beside the writer.
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let first = Thread {
            try? pool.read { _ in
                inside.signal()
                release.wait()
            }
        }
        first.start()
        inside.wait()
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM track") } == 0)
        release.signal()
        // The writer and both readers (pooled, still open once their reads are done).
        #expect(try eventuallyBlocking { try descriptors(on: path) >= 3 })

        library.releaseMemory()
        #expect(try descriptors(on: path) == 1) // the writer's only

        // A new reader has the functions `prepareDatabase` registers (search uses them).
        #expect(try pool.read { try String.fetchOne($0, sql: "SELECT omni_search_fold('Ébène')") } == SearchFolding.document("Ébène"))
        try pool.write { try $0.execute(sql: "PRAGMA user_version") }
        #expect(try descriptors(on: path) == 2)
    }
}
