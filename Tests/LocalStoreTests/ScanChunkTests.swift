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

    // MARK: - Writer, fourth round (decision 0039): row text from the probe threads, one uid query per chunk

    /// The text columns the writer stores for each track, by uid.
    func rowText(_ library: Library) throws -> [String: [String?]] {
        try library.writer.read { db in
            var rows: [String: [String?]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT uid, titleKey, artists, albumArtists, genres, genreText, composers, replayGain, musicBrainz, fileTags, title
                FROM track
                """) {
                rows[row[0]] = (1..<11).map { row[$0] }
            }
            return rows
        }
    }

    @Test("Given probes whose row text was made on the probe threads, then the stored rows are those the writer makes itself, replay gain and MusicBrainz ids included")
    func preparedRowText() throws {
        var rich = ScannedTrack(uid: "r", title: "Ünder  the Sea", artist: "Zoë \"Z\" Ray").probeResult
        rich.tags.composers = ["Ann", "Bo"]
        rich.tags.genres = ["Jazz", "Soul"]
        rich.tags.replayGain = ReplayGain(trackGain: -6.5, trackPeak: 0.98)
        var ids = MusicBrainzIDs()
        ids.recordingId = "0f4a1b52-2a7e-4c8e-9d6a-7a5d3f1b2c3d"
        ids.artistIds = ["a1", "a2"]
        rich.tags.musicBrainz = ids
        let plain = ScannedTrack(uid: "p", title: "Plain", genres: []).probeResult
        var rows: [[String: [String?]]] = []
        for prepare in [false, true] {
            let library = try Library.inMemory()
            let root = try library.ensureRoot(RawPath("/music"))
            var items: [ScanBatch.Probed] = []
            for (inode, result) in [rich, plain].enumerated() {
                let entry = FileEntry(relativePath: RawPath("\(result.uid.rawValue).flac"), size: 1000, mtimeNs: 1, ctimeNs: 1,
                                      inode: UInt64(inode + 1), device: 1)
                var item = ScanBatch.Probed(rootID: root.id, entry: entry, outcome: .track(result, artwork: nil, folderArtwork: nil))
                if prepare { item.prepareRowText() }
                #expect((item.rowText != nil) == prepare)
                items.append(item)
            }
            try apply([chunk(items)], to: library)
            rows.append(try rowText(library))
        }
        #expect(rows[0].count == 2)
        #expect(rows[0] == rows[1])
        #expect(rows[1]["r"]?[6] != nil && rows[1]["r"]?[7] != nil)  // replayGain and musicBrainz stored
    }

    @Test("Given a title override, when its file is scanned again with row text made on the probe thread, then the row keeps the override and its key, and fileTags the tags as read")
    func preparedRowTextUnderOverride() throws {
        let library = try Library.inMemory()
        let root = try library.ensureRoot(RawPath("/music"))
        let original = ScannedTrack(uid: "o", title: "Age of Consent")
        try apply([chunk([probed(original, root: root, inode: 1)])], to: library)
        try library.record(.setOverride(.t("o"), .title, .text("Consent")), at: at(1_000))

        var retagged = original
        retagged.album = "Power, Corruption & Lies"
        var item = probed(retagged, root: root, inode: 1)
        item.prepareRowText()
        item.foldSearchText()
        try apply([chunk([item])], to: library)

        let row = try #require(try rowText(library)["o"])
        #expect(row[9] == "Consent")     // title: the override
        #expect(row[0] == "consent")     // titleKey: folded from the override, not from the probe
        #expect(try library.userState(uid: .t("o")).fileTags?.title == "Age of Consent")
        #expect(try library.userState(uid: .t("o")).fileTags?.album == "Power, Corruption & Lies")
        #expect(try matches("consent", in: library) == 1)
    }

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

