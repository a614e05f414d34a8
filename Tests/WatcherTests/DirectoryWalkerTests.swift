import Foundation
import Glibc
import OmniModel
import Testing
import TestSupport
@testable import Watcher

/// Creates a file with some bytes, making parent folders.
private func touch(_ dir: TemporaryDirectory, _ relative: String, bytes: Int = 16) throws {
    let path = dir.appending(relative)
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(repeating: 7, count: bytes).write(to: URL(fileURLWithPath: path))
}

private func names(_ result: WalkResult) -> [String] { result.files.map(\.relativePath.displayString) }

@Suite("Walking a music folder")
struct DirectoryWalkerTests {
    @Test("Audio files are found with their stat facts; other files and hidden names are skipped")
    func findsAudioOnly() throws {
        let dir = try TemporaryDirectory("walk")
        try touch(dir, "A/Album/01 - One.flac", bytes: 100)
        try touch(dir, "A/Album/02 - Two.MP3")
        try touch(dir, "A/Album/notes.txt")
        try touch(dir, "A/Album/.03 - Hidden.ogg")
        try touch(dir, ".hidden/04 - In hidden folder.ogg")
        try touch(dir, "loose.opus")

        let result = try DirectoryWalker().walk(root: RawPath(dir.path))

        #expect(names(result) == ["A/Album/01 - One.flac", "A/Album/02 - Two.MP3", "loose.opus"])
        let one = try #require(result.files.first)
        var st = stat()
        #expect(stat(dir.appending("A/Album/01 - One.flac"), &st) == 0)
        #expect(one.size == 100)
        #expect(one.inode == UInt64(st.st_ino))
        #expect(one.mtimeNs == Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
        #expect(result.errors.isEmpty)
    }

    @Test("A file name that is not UTF-8 is reported with its exact bytes")
    func nonUTF8Names() throws {
        let dir = try TemporaryDirectory("walk")
        var name = Array("caf".utf8)
        name.append(0xE9)  // Latin-1 é
        name += Array(".mp3".utf8)
        let full = RawPath(dir.path).appending(RawPath(bytes: name))
        let fd = full.withCString { open($0, O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)

        let result = try DirectoryWalker().walk(root: RawPath(dir.path))

        #expect(result.files.map(\.relativePath.bytes) == [name])
    }

    @Test("A broken link and a link loop are reported, and the walk goes on")
    func brokenLinksAndLoops() throws {
        let dir = try TemporaryDirectory("walk")
        try touch(dir, "Artist/Album/01 - Song.ogg")
        #expect(symlink(dir.appending("nowhere.flac"), dir.appending("Artist/dangling.flac")) == 0)
        #expect(symlink(dir.appending("Artist"), dir.appending("Artist/Album/loop")) == 0)

        let result = try DirectoryWalker().walk(root: RawPath(dir.path))

        #expect(names(result) == ["Artist/Album/01 - Song.ogg"])
        #expect(result.errors.map(\.reason).sorted { $0.rawValue < $1.rawValue } == [.brokenSymlink, .symlinkLoop])
    }

    @Test("A folder reached through a link is walked once, under its real path when it has one")
    func linkedFoldersOnce() throws {
        let dir = try TemporaryDirectory("walk")
        try touch(dir, "Real/01 - Song.flac")
        try touch(dir, ".stash/Jazz/02 - Other.flac")
        // "A-link" sorts before "Real" but must not win over the real folder.
        #expect(symlink(dir.appending("Real"), dir.appending("A-link")) == 0)
        // A link to a folder inside the root that only the link reaches (hidden names are not
        // walked) is walked under the link's name.
        #expect(symlink(dir.appending(".stash/Jazz"), dir.appending("Jazz-link")) == 0)

        let result = try DirectoryWalker().walk(root: RawPath(dir.path))

        #expect(names(result) == ["Jazz-link/02 - Other.flac", "Real/01 - Song.flac"])
        #expect(result.errors.map(\.reason) == [.symlinkLoop])
    }

    @Test("A link out of the root, to a folder or to a file, is reported and not followed; the rest of the walk goes on")
    func linksOutOfTheRootAreNotFollowed() throws {
        let dir = try TemporaryDirectory("walk")
        let outside = try TemporaryDirectory("outside")
        try touch(dir, "Real/01 - Song.flac")
        try FileManager.default.createDirectory(atPath: outside.appending("Extra"), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: outside.appending("Extra/02 - Linked.flac")))
        try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: outside.appending("secret.jpg")))
        #expect(symlink(outside.appending("Extra"), dir.appending("Extra")) == 0)
        #expect(symlink(outside.appending("Extra/02 - Linked.flac"), dir.appending("Real/03 - Linked.flac")) == 0)
        #expect(symlink(outside.appending("secret.jpg"), dir.appending("Real/cover.jpg")) == 0)

        let result = try DirectoryWalker().walk(root: RawPath(dir.path))

        #expect(names(result) == ["Real/01 - Song.flac"])
        #expect(result.folderArtwork.isEmpty)
        #expect(result.errors.map(\.reason) == [.linkOutsideRoot, .linkOutsideRoot, .linkOutsideRoot])
        #expect(Set(result.errors.map(\.path)) == [RawPath(dir.appending("Extra")), RawPath(dir.appending("Real/03 - Linked.flac")),
                                                   RawPath(dir.appending("Real/cover.jpg"))])
        #expect(result.errors.allSatisfy { $0.detail.contains(outside.path) })
    }

    @Test("The best-named picture of each folder is reported as folder artwork")
    func folderArtwork() throws {
        let dir = try TemporaryDirectory("walk")
        try touch(dir, "Album/01 - Song.flac")
        try touch(dir, "Album/Folder.jpg")
        try touch(dir, "Album/cover.png")
        try touch(dir, "Album/back.jpg")
        try touch(dir, "Other/folder.jpeg")

        let result = try DirectoryWalker().walk(root: RawPath(dir.path))

        #expect(result.folderArtwork.map(\.relativePath.displayString) == ["Album/cover.png", "Other/folder.jpeg"])
        #expect(result.folderArtwork.map(\.folder.displayString) == ["Album", "Other"])
    }

    @Test("A missing root throws rootMissing instead of looking empty")
    func missingRoot() throws {
        let dir = try TemporaryDirectory("walk")
        #expect(throws: WatcherError.self) { try DirectoryWalker().walk(root: RawPath(dir.appending("unplugged"))) }
        do {
            _ = try DirectoryWalker().walk(root: RawPath(dir.appending("unplugged")))
        } catch {
            #expect(error.reason == .rootMissing)
        }
    }

    @Test("An unreadable folder is reported and its siblings are still walked", .enabled(if: geteuid() != 0, "root reads every folder; the CLI test covers this as an unprivileged user"))
    func unreadableFolder() throws {
        let dir = try TemporaryDirectory("walk")
        try touch(dir, "lost+found/x.flac")
        try touch(dir, "ok/01.flac")
        chmod(dir.appending("lost+found"), 0)

        let result = try DirectoryWalker().walk(root: RawPath(dir.path))

        #expect(names(result) == ["ok/01.flac"])
        #expect(result.errors.map(\.reason) == [.unreadableFolder])
    }
}
