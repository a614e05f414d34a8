import Foundation
import GRDB
import Glibc
@testable import Indexer
import LocalStore
import Logging
import MediaIO
import OmniModel
import Testing
import TestSupport

@Suite("Scanning music folders into the library")
struct ScanTests {
    @Test("A first scan indexes every visible corpus track with the manifest's tags and counts the broken files")
    func firstScan() throws {
        let fixture = try IndexerFixture()
        let visible = fixture.corpus.visibleTracks

        let summary = try fixture.scan()

        #expect(summary.files == visible.count + 3)  // + Broken/{empty.flac, garbage.mp3, truncated.ogg}
        #expect(summary.added == visible.count)
        #expect(summary.failed == 3)
        #expect(summary.updated == 0 && summary.removed == 0 && summary.moved == 0)
        #expect(try fixture.count("SELECT count(*) FROM track") == visible.count)
        for track in visible {
            let stored = try #require(try fixture.stored(path: track.path), "\(track.path) is not in the library")
            // The reader trims every value (one corpus title has leading spaces).
            #expect(stored.title == track.expected_title.trimmingCharacters(in: .whitespaces), "\(track.path)")
            #expect(stored.artist == track.tags.artist, "\(track.path)")
            #expect(stored.album == track.tags.album, "\(track.path)")
            #expect(stored.trackNumber == track.tags.track, "\(track.path)")
            #expect(stored.year == track.tags.year, "\(track.path)")
            let genres = try JSONDecoder().decode([String].self, from: Data(stored.genres.utf8))
            #expect(genres == (track.tags.genre ?? []), "\(track.path)")
        }
        // Hidden files are skipped.
        for track in fixture.corpus.manifest.tracks where track.hidden == true {
            #expect(try fixture.stored(path: track.path) == nil)
        }
        // The search text was folded on the probe threads; FTS5 checks it against what the
        // index's view folds from the rows (a mismatch is SQLITE_CORRUPT_VTAB).
        #expect(try fixture.checkIndexes() == "ok")
    }

    @Test("Embedded covers are stored once per distinct image and folder pictures cover albums without one")
    func artwork() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()

        for track in fixture.corpus.visibleTracks {
            let stored = try #require(try fixture.stored(path: track.path))
            #expect((stored.artworkId != nil) == (track.cover != nil), "\(track.path)")
        }
        let distinctImages = Set(fixture.corpus.visibleTracks.compactMap { $0.cover?.image }).count
        let folderPictures = fixture.corpus.manifest.extra_files.filter { $0.kind == "folder_art" }.count
        #expect(try fixture.count("SELECT count(*) FROM artwork") <= distinctImages + folderPictures)
        #expect(try fixture.count("SELECT count(*) FROM artwork") >= distinctImages)
        // Every album whose folder has a picture or whose tracks embed one has artwork.
        #expect(try fixture.count("""
            SELECT count(*) FROM album WHERE artworkId IS NULL AND EXISTS (
              SELECT 1 FROM track WHERE albumId = album.id AND (artworkId IS NOT NULL OR folderArtworkId IS NOT NULL))
            """) == 0)
        // The cache holds exactly the stored images, named by their hash.
        let hashes = try fixture.library.writer.read { db in try String.fetchAll(db, sql: "SELECT hash FROM artwork") }
        for hash in hashes {
            #expect(FileManager.default.fileExists(atPath: fixture.artwork.path(forHash: hash)))
        }
    }

    @Test("A second scan with nothing changed reads no file")
    func noChangeRescan() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()

        let again = try fixture.scan()

        #expect(again.added == 0 && again.updated == 0 && again.failed == 0 && again.removed == 0 && again.moved == 0)
        #expect(again.files == fixture.corpus.visibleTracks.count + 3)
    }

    @Test("Renamed and moved files and folders keep their uid without being probed")
    func movesKeepIdentity() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let track = fixture.corpus.visibleTracks.first { $0.kind == "album" }!
        let before = try #require(try fixture.stored(path: track.path))
        let albumDir = try #require(track.album_dir)
        let albumTracks = fixture.corpus.visibleTracks.filter { $0.album_dir == albumDir }

        try fixture.move(albumDir, "Moved Elsewhere/Renamed Album")

        let summary = try fixture.scan()
        #expect(summary.moved == albumTracks.count)
        #expect(summary.added == 0 && summary.updated == 0 && summary.removed == 0)
        let newPath = "Moved Elsewhere/Renamed Album/" + String(track.path.dropFirst(albumDir.count + 1))
        let after = try #require(try fixture.stored(path: newPath))
        #expect(after.uid == before.uid)
        #expect(try fixture.stored(path: track.path) == nil)
        #expect(try fixture.checkIndexes() == "ok")
    }

    @Test("A copy of a file is the same recording: one track, two files")
    func copiesShareIdentity() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let track = fixture.corpus.visibleTracks.first { $0.format == "flac" }!
        let tracksBefore = try fixture.count("SELECT count(*) FROM track")

        try FileManager.default.copyItem(atPath: fixture.path(track.path), toPath: fixture.path("Copy of a song.flac"))
        let summary = try fixture.scan()

        #expect(summary.added == 1)
        #expect(try fixture.count("SELECT count(*) FROM track") == tracksBefore)
        let original = try #require(try fixture.stored(path: track.path))
        let copy = try #require(try fixture.stored(path: "Copy of a song.flac"))
        #expect(copy.uid == original.uid)
        #expect(copy.fileCount == 2)
        // The original stays the primary file: its tags are the track's.
        #expect(copy.title == track.expected_title.trimmingCharacters(in: .whitespaces))
    }

    @Test("A deleted file leaves the library; its album goes when it was the last track")
    func deletions() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let loose = fixture.corpus.visibleTracks.first { $0.kind == "loose" }!
        let uid = try #require(try fixture.stored(path: loose.path)).uid

        try FileManager.default.removeItem(atPath: fixture.path(loose.path))
        let summary = try fixture.scan()

        #expect(summary.removed == 1)
        #expect(try fixture.stored(path: loose.path) == nil)
        #expect(!(try fixture.uids().contains(uid)))
        #expect(try fixture.count("SELECT count(*) FROM album WHERE NOT EXISTS (SELECT 1 FROM track WHERE albumId = album.id)") == 0)
        #expect(try fixture.checkIndexes() == "ok")
    }

    @Test("A file re-tagged in place is probed again and keeps its uid")
    func retaggedInPlace() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let track = fixture.corpus.visibleTracks.first { $0.format == "mp3" && $0.tag_style == "full" }!
        let before = try #require(try fixture.stored(path: track.path))

        let retagged = fixture.dir.appending("retagged.mp3")
        try Shell.ffmpeg(["-i", fixture.path(track.path), "-map", "0", "-c", "copy", "-metadata", "title=A New Title", retagged])
        // Write over the original's bytes (same inode), as a tagger does.
        let data = try Data(contentsOf: URL(fileURLWithPath: retagged))
        try data.write(to: URL(fileURLWithPath: fixture.path(track.path)))
        let summary = try fixture.scan()

        #expect(summary.updated == 1)
        let after = try #require(try fixture.stored(path: track.path))
        #expect(after.title == "A New Title")
        #expect(after.uid == before.uid)
        #expect(try fixture.checkIndexes() == "ok")
    }

    @Test("Unreadable files are recorded once and not read again until they change")
    func brokenFilesNotRetried() throws {
        let fixture = try IndexerFixture()
        let first = try fixture.scan()
        #expect(first.failed == 3)
        #expect(try fixture.count("SELECT count(*) FROM file WHERE trackId IS NULL AND probeErrorCode IS NOT NULL") == 3)

        let second = try fixture.scan()
        #expect(second.failed == 0)

        // Replacing a broken file by a good one indexes it.
        let good = fixture.corpus.visibleTracks.first { $0.format == "flac" }!
        try FileManager.default.removeItem(atPath: fixture.path("Broken/empty.flac"))
        try FileManager.default.copyItem(atPath: fixture.path(good.path), toPath: fixture.path("Broken/empty.flac"))
        let third = try fixture.scan()
        #expect(third.updated == 1 || third.added == 1)
        #expect(try fixture.count("SELECT count(*) FROM file WHERE trackId IS NULL") == 2)
    }

    @Test("A damaged file is indexed with what could be read, counted as a warning, and its warning kept with it")
    func damagedFileIsIndexedWithWarning() throws {
        // Given a scanned corpus and then one MP3 cut to half its length (its header counts the whole)
        let fixture = try IndexerFixture()
        try fixture.scan()
        let track = try #require(fixture.corpus.visibleTracks.first { $0.format == "mp3" && $0.tags.title != nil })
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path(track.path)))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: fixture.path(track.path)))
        // When scanned again
        let summary = try fixture.scan()
        // Then it is updated, not failed; its tags stay; the warning is in its row
        #expect(summary.updated == 1 && summary.failed == 0 && summary.warnings == 1)
        #expect(try #require(try fixture.stored(path: track.path)).title == track.tags.title)
        #expect(try fixture.count("SELECT count(*) FROM file WHERE trackId IS NOT NULL AND probeErrorCode = 'media.duration_from_stream'") == 1)
    }

    @Test("A missing music folder is marked offline and keeps its tracks, which come back with the same uids")
    func offlineRoot() throws {
        let fixture = try IndexerFixture()
        try fixture.scan()
        let uids = try fixture.uids()
        let unplugged = fixture.dir.appending("Unplugged")

        try FileManager.default.moveItem(atPath: fixture.music, toPath: unplugged)
        let whileAway = try fixture.scan()
        #expect(whileAway.removed == 0)
        #expect(try fixture.uids() == uids)
        #expect(try fixture.library.roots().map(\.online) == [false])

        try FileManager.default.moveItem(atPath: unplugged, toPath: fixture.music)
        let back = try fixture.scan()
        #expect(back.added == 0 && back.removed == 0 && back.updated == 0)
        #expect(try fixture.uids() == uids)
        #expect(try fixture.library.roots().map(\.online) == [true])
    }

    @Test("Files move between two music folders without losing their identity")
    func movesAcrossRoots() throws {
        let fixture = try IndexerFixture()
        let second = fixture.dir.appending("Second")
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        try fixture.scan([fixture.music, second])
        let track = fixture.corpus.visibleTracks.first { $0.kind == "loose" }!
        let uid = try #require(try fixture.stored(path: track.path)).uid

        try FileManager.default.moveItem(atPath: fixture.path(track.path), toPath: second + "/moved.ogg")
        let summary = try fixture.scan([fixture.music, second])

        #expect(summary.moved == 1 && summary.removed == 0 && summary.added == 0)
        #expect(try fixture.stored(path: "moved.ogg")?.uid == uid)
    }

    @Test("Odd file names are indexed: not UTF-8, zero-length, and a file deleted mid-scan is simply gone")
    func oddFiles() throws {
        let fixture = try IndexerFixture()
        let source = fixture.corpus.visibleTracks.first { $0.format == "ogg" }!
        var name = Array("Caf".utf8)
        name.append(0xE9)
        name += Array(" latin1.ogg".utf8)
        let target = RawPath(fixture.music).appending(RawPath(bytes: name))
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.path(source.path)))
        let fd = target.withCString { open($0, O_CREAT | O_WRONLY, 0o644) }
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        #expect(FileManager.default.createFile(atPath: fixture.path("zero.mp3"), contents: Data()))

        let summary = try fixture.scan()

        #expect(summary.failed == 4)  // 3 broken + zero.mp3
        let stored = try fixture.library.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM file WHERE relPath = ? AND trackId IS NOT NULL", arguments: [Data(name)])
        }
        #expect(stored == 1)
        #expect(try fixture.checkIndexes() == "ok")  // a name that is not UTF-8, folded on a probe thread

        // A job whose file vanished after the walk reports it gone, not broken.
        let job = ProbeJob(rootID: 1, entry: FileEntry(relativePath: RawPath("gone.flac"), size: 1, mtimeNs: 1, ctimeNs: 1, inode: 1, device: 1),
                           existingFileID: 7, folderArtwork: nil)
        let output = Indexer.probe(job, rootPath: RawPath(fixture.music), reader: TagReader(), artwork: fixture.artwork,
                                   logger: Logger(label: "test"))
        if case .vanished = output.kind {} else { Issue.record("expected .vanished") }
    }

    @Test("A cancelled token stops a scan that starts after it, and leaves the indexer's next scan untouched")
    func cancellationToken() throws {
        let fixture = try IndexerFixture()
        let token = ScanCancellation()
        token.cancel()
        do {
            _ = try fixture.indexer.scan(roots: [RawPath(fixture.music)], cancellation: token)
            Issue.record("a scan given a cancelled token completed")
        } catch {
            #expect(error.reason == .cancelled)
        }
        // Another caller's scan is not affected by the first caller's request.
        let summary = try fixture.scan()
        #expect(summary.added == fixture.corpus.visibleTracks.count)
        #expect(try fixture.scan().added == 0)
    }
}
