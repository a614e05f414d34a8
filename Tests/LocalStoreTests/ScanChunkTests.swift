import Foundation
import GRDB
@testable import LocalStore
import OmniModel
import Testing

/// `Library.apply(chunks:)`: the scan's writer hands over its probe results a hand-off at a time
/// inside one transaction (decision 0039). The search index must come out as if the
/// transaction's results had been written in one batch.
@Suite("Scan results written a hand-off at a time")
struct ScanChunkTests {
    /// One probed file of `track`, at `file` (default: a file of its own named by its uid).
    func probed(_ track: ScannedTrack, root: MusicRoot, inode: UInt64, file: String? = nil) -> ScanBatch.Probed {
        let entry = FileEntry(relativePath: RawPath(file ?? "\(track.uid).flac"), size: 1000, mtimeNs: Int64(inode),
                              ctimeNs: 1, inode: inode, device: 1)
        return ScanBatch.Probed(rootID: root.id, entry: entry, outcome: .track(track.probeResult, artwork: nil, folderArtwork: nil))
    }

    func chunk(_ items: [ScanBatch.Probed]) -> ScanBatch {
        var batch = ScanBatch()
        batch.probed = items
        return batch
    }

    /// Writes `chunks` through one `apply(chunks:)` call.
    func apply(_ chunks: [ScanBatch], to library: Library) throws {
        var rest = chunks[...]
        try library.apply(chunks: { rest.popFirst() })
    }

    /// Rows of the search index matching `query`, after FTS5 checked the index against the
    /// tracks (it throws SQLITE_CORRUPT_VTAB when an entry was deleted that was never there).
    func matches(_ query: String, in library: Library) throws -> Int {
        try library.writer.write { db in
            try db.execute(sql: "INSERT INTO trackFts(trackFts, rank) VALUES('integrity-check', 1)")
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM trackFts WHERE trackFts MATCH ?", arguments: [query]) ?? -1
        }
    }

    @Test("Given a recording whose second file comes in a later hand-off of the same transaction, and a track probed again in two hand-offs of a later one, then each is indexed once, with its latest tags")
    func recordingsAcrossHandOffs() throws {
        let library = try Library.inMemory()
        let root = try library.ensureRoot(RawPath("/music"))
        let a = ScannedTrack(uid: "a", title: "Morning Light"), b = ScannedTrack(uid: "b", title: "Evening Tide")
        // A first scan: a's copy arrives a hand-off after a itself (the writer looks the uid up
        // then and finds the track it has just inserted, not yet in the index).
        try apply([chunk([probed(a, root: root, inode: 1), probed(b, root: root, inode: 2)]),
                   chunk([probed(a, root: root, inode: 3, file: "copy/a.flac")])], to: library)
        try library.finishScan()
        #expect(try library.statistics().tracks == 2)
        #expect(try library.statistics().files == 3)
        #expect(try matches("morning", in: library) == 1)

        // A rescan: both of a's files were retagged, and come in two hand-offs. The track leaves
        // the index once, before the first, and comes back once with the new title.
        var renamed = a
        renamed.title = "Noon Glare"
        try apply([chunk([probed(renamed, root: root, inode: 1)]),
                   chunk([probed(renamed, root: root, inode: 3, file: "copy/a.flac"), probed(b, root: root, inode: 2)])], to: library)
        try library.finishScan()
        #expect(try matches("noon", in: library) == 1)
        #expect(try matches("morning", in: library) == 0)
        #expect(try matches("evening", in: library) == 1)
        #expect(try library.statistics().tracks == 2)
    }

    @Test("Given an empty hand-off between two others (the probes were slow), then the transaction goes on and writes both")
    func emptyHandOffs() throws {
        let library = try Library.inMemory()
        let root = try library.ensureRoot(RawPath("/music"))
        try apply([chunk([probed(ScannedTrack(uid: "x", title: "First"), root: root, inode: 1)]), ScanBatch(),
                   chunk([probed(ScannedTrack(uid: "y", title: "Second"), root: root, inode: 2)])], to: library)
        #expect(try library.statistics().tracks == 2)
        #expect(try matches("first OR second", in: library) == 2)
    }

    // MARK: - Writer, fourth round (decision 0039): one uid query per hand-off

    @Test("Given two files of one recording in the same hand-off of a first scan, then they make one track with two files, indexed once")
    func recordingTwiceInOneHandOff() throws {
        let library = try Library.inMemory()
        let root = try library.ensureRoot(RawPath("/music"))
        let a = ScannedTrack(uid: "a", title: "Morning Light")
        try apply([chunk([probed(a, root: root, inode: 1), probed(a, root: root, inode: 2, file: "copy/a.flac"),
                          probed(ScannedTrack(uid: "b", title: "Evening Tide"), root: root, inode: 3)])], to: library)
        try library.finishScan()
        #expect(try library.statistics().tracks == 2)
        #expect(try library.statistics().files == 3)
        let files = try library.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM file JOIN track ON track.id = file.trackId WHERE track.uid = 'a'")
        }
        #expect(files == 2)
        #expect(try matches("morning", in: library) == 1)
    }
}

