import Foundation
import Glibc
import OmniModel
import Testing

@Suite("Private files: 0700 folders and 0600 databases whatever the umask")
struct PrivateFilesTests {
    func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o777
    }

    @Test("Given a umask of 022, a new folder and database are 0700 and 0600; an existing 0755 folder and 0644 database with its -wal are tightened, keeping the owner's bits")
    func modes() throws {
        let base = NSTemporaryDirectory() + "private-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let previous = umask(0o022)
        defer { umask(previous) }
        let fresh = base + "/a/b"
        try PrivateFiles.makeFolder(fresh)
        #expect(mode(fresh) == 0o700)
        try PrivateFiles.prepareDatabase(fresh + "/x.sqlite")
        #expect(mode(fresh + "/x.sqlite") == 0o600)

        let old = base + "/old"
        #expect(mkdir(old, 0o755) == 0)
        #expect(FileManager.default.createFile(atPath: old + "/y.sqlite", contents: Data("data".utf8)))
        #expect(FileManager.default.createFile(atPath: old + "/y.sqlite-wal", contents: Data()))
        #expect(chmod(old + "/y.sqlite", 0o644) == 0 && chmod(old + "/y.sqlite-wal", 0o644) == 0)
        try PrivateFiles.makeFolder(old)
        try PrivateFiles.prepareDatabase(old + "/y.sqlite")
        #expect(mode(old) == 0o700)
        #expect(mode(old + "/y.sqlite") == 0o600 && mode(old + "/y.sqlite-wal") == 0o600)
        #expect(try String(contentsOfFile: old + "/y.sqlite", encoding: .utf8) == "data") // never truncated
    }
}
