import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing
import TestSupport

@Suite("A copied library takes a device id of its own")
struct DeviceIdentityTests {
    /// Folds the WAL into the file, so that copying the file alone copies the library.
    func checkpoint(_ library: Library) throws {
        _ = try library.writer.writeWithoutTransaction { try $0.checkpoint(.truncate) }
    }

    @Test("Given a library copied to another file, when both record at the same instant, then their operations differ in device and both stay pending on the copy; reopening and moving the original keep its id")
    func copyGetsNewID() throws {
        let folder = try TemporaryDirectory("device-identity")
        let path = folder.appending("library.sqlite")
        let original = try Library(path: path)
        let before = try original.deviceID()
        let instant = Date(timeIntervalSince1970: 1_760_000_000)
        let id = try original.record(.createPlaylist(name: "Before the copy"), at: instant)[0].target
        try checkpoint(original)
        try FileManager.default.copyItem(atPath: path, toPath: folder.appending("copy.sqlite"))

        let copy = try Library(path: folder.appending("copy.sqlite"))
        let after = try copy.deviceID()
        #expect(after != before && after.count == 16)
        #expect(try copy.formerDeviceIDs() == [before])
        #expect(try Library(path: path).deviceID() == before) // the original, reopened, keeps its id
        #expect(try original.formerDeviceIDs().isEmpty)

        // The same change at the same instant on both: two operations, not one id twice.
        let onOriginal = try original.record(.renamePlaylist(id: id, name: "A"), at: instant.addingTimeInterval(5))[0]
        let onCopy = try copy.record(.renamePlaylist(id: id, name: "B"), at: instant.addingTimeInterval(5))[0]
        #expect(onOriginal.id != onCopy.id)
        #expect(onCopy.device == after)
        // The copy still pushes what was made before the copy (the server stores it once).
        let pending = try copy.unpushedOperations(limit: 10).map(\.operation)
        #expect(pending.map(\.device) == [before, after])
        #expect(try copy.syncProgress(server: "http://sync").pending == 2)
        // The original's later operation, pulled by the copy, is not the copy's to push.
        _ = try copy.applyPulled([onOriginal], cursor: 3)
        #expect(try copy.unpushedOperations(limit: 10).map(\.operation) == pending)

        // A move (same file system) keeps the inode, hence the id.
        try checkpoint(copy)
        try FileManager.default.moveItem(atPath: folder.appending("copy.sqlite"), toPath: folder.appending("moved.sqlite"))
        #expect(try Library(path: folder.appending("moved.sqlite")).deviceID() == after)
    }
}
