import Foundation
import Glibc
import Testing
import TestSupport
@testable import Indexer
import OmniModel

/// The text of a file named by bytes.
func contents(_ path: RawPath) throws -> String {
    let fd = path.withCString { open($0, O_RDONLY) }
    guard fd >= 0 else { throw POSIXError(.ENOENT) }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
    return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
}

@Suite("XDG trash")
struct TrashTests {
    @Test("a file moves to files/ with an info file holding its escaped path and deletion date")
    func trashOne() throws {
        let dir = try TemporaryDirectory("trash")
        let music = dir.appending("Music/Ünïcode & spaces")
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        let file = music + "/01 #1 50%.mp3"
        try Data("audio".utf8).write(to: URL(fileURLWithPath: file))
        let trash = Trash(home: dir.appending("data/Trash"))

        let item = try trash.trash(RawPath(file), now: Date(timeIntervalSince1970: 1_700_000_000))

        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(item.file == RawPath(dir.appending("data/Trash/files/01 #1 50%.mp3")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: item.file.displayString)) == Data("audio".utf8))
        let info = try contents(item.info)
        let lines = info.split(separator: "\n").map(String.init)
        #expect(lines[0] == "[Trash Info]")
        #expect(lines[1] == "Path=" + Trash.escape(RawPath(file)))
        #expect(lines[1].contains("/%C3%9Cn%C3%AFcode%20%26%20spaces/01%20%231%2050%25.mp3"))
        #expect(lines[2].hasPrefix("DeletionDate=2023-11-1"))
        #expect(lines[2].count == "DeletionDate=2023-11-14T22:13:20".count)
    }

    @Test("files with the same name get numbered names and their own info files")
    func collisions() throws {
        let dir = try TemporaryDirectory("trash")
        let trash = Trash(home: dir.appending("Trash"))
        var names: [String] = []
        for folder in ["a", "b", "c"] {
            try FileManager.default.createDirectory(atPath: dir.appending(folder), withIntermediateDirectories: true)
            try Data(folder.utf8).write(to: URL(fileURLWithPath: dir.appending("\(folder)/song.flac")))
            names.append(try trash.trash(RawPath(dir.appending("\(folder)/song.flac"))).file.lastComponent.displayString)
        }
        #expect(names == ["song.flac", "song.2.flac", "song.3.flac"])
        let infos = try FileManager.default.contentsOfDirectory(atPath: dir.appending("Trash/info")).sorted()
        #expect(infos == ["song.2.flac.trashinfo", "song.3.flac.trashinfo", "song.flac.trashinfo"])
        let third = try String(contentsOfFile: dir.appending("Trash/info/song.3.flac.trashinfo"), encoding: .utf8)
        #expect(third.contains("Path=" + Trash.escape(RawPath(dir.appending("c/song.flac")))))
        #expect(try String(contentsOfFile: dir.appending("Trash/files/song.2.flac"), encoding: .utf8) == "b")
    }

    @Test("a file name that is not UTF-8 keeps its bytes and is percent-escaped in Path")
    func rawBytes() throws {
        let dir = try TemporaryDirectory("trash")
        let path = RawPath(dir.path + "/").appending(RawPath(bytes: [0x63, 0xE9, 0x2E, 0x6D, 0x70, 0x33]))  // "c\xE9.mp3"
        let fd = path.withCString { open($0, O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        let item = try Trash(home: dir.appending("Trash")).trash(path)
        #expect(item.file.lastComponent.bytes == [0x63, 0xE9, 0x2E, 0x6D, 0x70, 0x33])
        #expect(try contents(item.info).contains("/c%E9.mp3\n"))
    }

    @Test("a missing file is an error and leaves no info file behind")
    func missing() throws {
        let dir = try TemporaryDirectory("trash")
        let error = #expect(throws: IndexError.self) { try Trash(home: dir.appending("Trash")).trash(RawPath(dir.appending("nope.mp3"))) }
        #expect(error?.code == "index.trash")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir.appending("Trash/info")))?.isEmpty ?? true)
    }

    @Test("a file on another device goes to $topdir/.Trash-$uid with a Path relative to the top folder",
          .enabled(if: Trash.device(ofNearest: "/dev/shm") != Trash.device(ofNearest: NSTemporaryDirectory())
                   && access("/dev/shm", W_OK) == 0))
    func otherDevice() throws {
        let dir = try TemporaryDirectory("trash")
        let folder = "/dev/shm/omnisonic-trash-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/track.ogg"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))

        let topTrash = "/dev/shm/.Trash-\(getuid())"
        let trashExisted = FileManager.default.fileExists(atPath: topTrash)
        defer {
            // Leave /dev/shm as it was: remove the trash folders only if this test made them.
            if !trashExisted { for folder in ["/files", "/info", ""] { rmdir(topTrash + folder) } }
        }
        let item = try Trash(home: dir.appending("Trash")).trash(RawPath(file))

        #expect(item.trash == topTrash)
        defer {
            try? FileManager.default.removeItem(atPath: item.file.displayString)
            try? FileManager.default.removeItem(atPath: item.info.displayString)
        }
        #expect(FileManager.default.fileExists(atPath: item.file.displayString))
        let info = try contents(item.info)
        #expect(info.contains("Path=\(folder.dropFirst("/dev/shm/".count))/track.ogg\n"))
        #expect(!FileManager.default.fileExists(atPath: dir.appending("Trash/files/track.ogg")))
    }
}
