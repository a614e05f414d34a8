import Foundation
import Glibc
@testable import Indexer
import LocalStore
import OmniModel
import TestSupport
import Testing
import Watcher

@Suite("Partial rescans of watched changes")
struct RefreshTests {
    @Test("Scopes are normalised: duplicates go, folders inside a recursive folder go, sorted by path")
    func normalisation() {
        let scope = ScanScope(changes: [
            .fileClosedAfterWrite(RawPath("A/B/x.mp3")),
            .folderCreated(RawPath("A")),
            .fileDeleted(RawPath("C/y.flac")),
            .fileDeleted(RawPath("C/z.flac")),
            .moved(from: RawPath("D/1.ogg"), to: RawPath("E/F/1.ogg"), isDirectory: false),
            .rootGone(RawPath("/music")),
        ], root: RawPath("/music"))
        #expect(scope.folders == [
            ScanScope.Folder(RawPath("A"), recursive: true),
            ScanScope.Folder(RawPath("C"), recursive: false),
            ScanScope.Folder(RawPath("D"), recursive: false),
            ScanScope.Folder(RawPath("E/F"), recursive: false),
        ])
        #expect(ScanScope(changes: [.fileDeleted(RawPath("x.mp3")), .overflow], root: RawPath("/m")).isWholeRoot)
        let failed = WatcherError(.watchFailed, path: RawPath("/m/G/H"), detail: "EACCES")
        #expect(ScanScope(changes: [.watchFailed(failed)], root: RawPath("/m")).folders == [ScanScope.Folder(RawPath("G/H"), recursive: true)])
    }

    @Test("A folder's own scope leaves its subfolders alone; a recursive scope covers them")
    func folderScopes() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let sub = try #require(fixture.corpus.visibleTracks.first { $0.path.split(separator: "/").count >= 3 })
        let folder = (sub.path as NSString).deletingLastPathComponent
        let parent = (folder as NSString).deletingLastPathComponent
        try FileManager.default.removeItem(atPath: fixture.path(sub.path))

        // Only the parent's own files: the deletion below it is not seen.
        let shallow = try fixture.indexer.refresh(root: RawPath(fixture.music), scope: ScanScope(folders: [.init(RawPath(parent), recursive: false)]))
        #expect(shallow.summary.removed == 0)
        #expect(try fixture.stored(path: sub.path) != nil)

        let deep = try fixture.indexer.refresh(root: RawPath(fixture.music), scope: ScanScope(folders: [.init(RawPath(parent), recursive: true)]))
        #expect(deep.summary.removed == 1)
        #expect(try fixture.stored(path: sub.path) == nil)
        // Nothing else under the parent was read again.
        #expect(deep.summary.added == 0 && deep.summary.updated == 0)
    }

    @Test("A folder that cannot be read is not taken for deleted: its stored files and picture stay")
    func unreadableFolderKept() throws {
        // As root every folder is readable whatever its mode, so the walk is made by hand: the
        // walker's side (an opendir failure lands in `unreadableFolders`) is in WatcherTests.
        let fixture = try IndexerFixture()
        try fixture.scan()
        let root = try #require(try fixture.library.roots().first)
        let full = try DirectoryWalker().walk(root: RawPath(fixture.music))
        let folder = try #require(full.folderArtwork.first?.folder)
        var walk = full
        walk.files.removeAll { $0.relativePath.isWithin(folder) }
        walk.folderArtwork.removeAll { $0.folder.isWithin(folder) }
        #expect(walk.files.count < full.files.count)

        let forgetful = try ScanPlan(walked: [(root, walk)], library: fixture.library)
        #expect(forgetful.batch.removed.count == full.files.count - walk.files.count)  // what an unreadable folder cost before

        walk.unreadableFolders = [folder]
        let plan = try ScanPlan(walked: [(root, walk)], library: fixture.library)
        #expect(plan.batch.removed.isEmpty)
        #expect(plan.removedFolderArtwork.isEmpty)
        #expect(plan.toProbe.isEmpty)
    }

    @Test("A file still open for writing is left for its close event, then indexed complete")
    func openForWriting() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let source = try #require(fixture.corpus.visibleTracks.first { $0.format == "flac" })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path(source.path)))
        let target = fixture.path("being copied.flac")
        #expect(FileManager.default.createFile(atPath: target, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: target))
        try handle.write(contentsOf: bytes.prefix(bytes.count / 2))

        let during = try fixture.indexer.refresh(root: RawPath(fixture.music), scope: .wholeRoot)
        #expect(during.summary.busy == 1)
        #expect(during.summary.added == 0 && during.summary.failed == 0)

        try handle.write(contentsOf: bytes.dropFirst(bytes.count / 2))
        try handle.close()
        let after = try fixture.indexer.refresh(root: RawPath(fixture.music), scope: ScanScope(folders: [.init(RawPath(""), recursive: false)]))
        #expect(after.summary.busy == 0)
        #expect(after.summary.added == 1)
        #expect(try fixture.stored(path: "being copied.flac")?.uid == fixture.stored(path: source.path)?.uid)
    }

    @Test("A refresh of a missing root throws rootMissing, marks it offline and keeps every track")
    func missingRoot() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let count = try fixture.count("SELECT count(*) FROM track")
        try FileManager.default.moveItem(atPath: fixture.music, toPath: fixture.music + ".away")
        do {
            _ = try fixture.indexer.refresh(root: RawPath(fixture.music), scope: .wholeRoot)
            Issue.record("no error for a missing root")
        } catch {
            #expect(error.reason == .rootMissing)
        }
        #expect(try fixture.library.roots().first?.online == false)
        #expect(try fixture.count("SELECT count(*) FROM track") == count)
    }
}
