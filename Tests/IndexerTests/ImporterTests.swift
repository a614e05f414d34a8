import Foundation
import Testing
import TestSupport
@testable import Indexer
import LocalStore
import OmniModel

@Suite("Import of uploaded files")
struct ImporterTests {
    /// A library over an empty music folder, and a folder of uploads.
    final class Fixture: @unchecked Sendable {
        let dir: TemporaryDirectory
        let music: String
        let uploads: String
        let library: Library
        let importer: Importer

        init(maxBytes: Int64 = 50 << 20) throws {
            dir = try TemporaryDirectory("import")
            music = dir.appending("Music")
            uploads = dir.appending("uploads")
            for folder in [music, uploads] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            library = try Library(path: dir.appending("library.sqlite"))
            let indexer = Indexer(library: library, artwork: ArtworkCache(directory: dir.appending("artwork")))
            importer = Importer(indexer: indexer, root: RawPath(music), maxBytes: maxBytes)
        }

        /// A real audio upload made with ffmpeg (a sine of `frequency` Hz, so each is a different recording).
        func upload(_ name: String, frequency: Int = 440, format: String = "mp3", title: String? = nil) throws -> Importer.Upload {
            let path = uploads + "/upload-\(UUID().uuidString).\(format)"
            var metadata: [String] = []
            if let title { metadata = ["-metadata", "title=\(title)", "-metadata", "artist=Uploader"] }
            try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=1:sample_rate=22050", "-ac", "1"]
                             + metadata + ["-bitexact", path])
            return Importer.Upload(temporaryPath: path, originalName: name)
        }

        /// An upload with arbitrary bytes.
        func upload(_ name: String, bytes: [UInt8]) throws -> Importer.Upload {
            let path = uploads + "/upload-\(UUID().uuidString)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return Importer.Upload(temporaryPath: path, originalName: name)
        }

        func imported() throws -> [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: music + "/Imported").sorted()) ?? []
        }
    }

    @Test("good files land in Imported/ under their names, are searchable at once and keep their tags")
    func importsGoodFiles() throws {
        let f = try Fixture()
        let outcomes = f.importer.importFiles([
            try f.upload("First Song.mp3", frequency: 440, title: "First Song"),
            try f.upload("second.flac", frequency: 660, format: "flac"),
        ])
        let tracks = try outcomes.map { try $0.result.get() }
        #expect(tracks.map(\.path) == ["Imported/First Song.mp3", "Imported/second.flac"])
        #expect(tracks[0].title == "First Song")
        #expect(tracks[0].artist == "Uploader")
        #expect(try f.imported() == ["First Song.mp3", "second.flac"])
        #expect(try f.library.search(SearchQuery(text: "first song")).total == 1)
        // The uploads were moved, not copied.
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.uploads).isEmpty)
    }

    @Test("a later full scan sees imported files as unchanged")
    func scanAgreesWithImport() throws {
        let f = try Fixture()
        _ = try f.importer.importFile(try f.upload("a.mp3"))
        let indexer = Indexer(library: f.library, artwork: ArtworkCache(directory: f.dir.appending("artwork")))
        let summary = try indexer.scan(roots: [RawPath(f.music)])
        #expect(summary.files == 1)
        #expect(summary.added == 0)
        #expect(summary.updated == 0)
        #expect(try f.library.trackCount() == 1)
    }

    @Test("hostile names are cleaned so nothing escapes the import folder or hides",
          arguments: [
              ("../../etc/evil.mp3", "evil.mp3"), ("..\\..\\win.mp3", "win.mp3"), (".hidden.mp3", "hidden.mp3"),
              ("..mp3.mp3", "mp3.mp3"), ("new\nline\u{0}.mp3", "newline.mp3"), ("/abs/path/x.mp3", "x.mp3"),
              ("  spaced .mp3", "spaced .mp3"), ("rtl\u{202E}3pm.mp3", "rtl3pm.mp3"),
          ])
    func hostileNames(name: String, expected: String) throws {
        #expect(Importer.sanitize(name) == expected)
        let f = try Fixture()
        let track = try f.importer.importFile(try f.upload(name))
        #expect(track.path == "Imported/" + expected)
        #expect(try f.imported() == [expected])
        #expect(!FileManager.default.fileExists(atPath: f.dir.appending("etc")))
    }

    @Test("names with nothing usable are refused; long names are cut keeping the extension")
    func unusableAndLongNames() throws {
        for name in ["", "..", "...", "/", "../..", "\u{0}\u{1}"] { #expect(Importer.sanitize(name) == nil, "\(name.debugDescription)") }
        let long = String(repeating: "é", count: 300) + ".flac"
        let cut = try #require(Importer.sanitize(long))
        #expect(cut.utf8.count <= Importer.maxNameBytes)
        #expect(cut.hasSuffix(".flac"))
        let f = try Fixture()
        let error = #expect(throws: IndexError.self) { try f.importer.importFile(try f.upload("../", bytes: [1, 2, 3])) }
        #expect(error?.code == "import.rejected")
    }

    @Test("a taken name gets a number; the existing file is untouched")
    func collisions() throws {
        let f = try Fixture()
        let first = try f.importer.importFile(try f.upload("song.mp3", frequency: 300))
        let second = try f.importer.importFile(try f.upload("song.mp3", frequency: 500))
        let third = try f.importer.importFile(try f.upload("Song.mp3", frequency: 700))
        #expect(first.path == "Imported/song.mp3")
        #expect(second.path == "Imported/song (2).mp3")
        #expect(third.path == "Imported/Song.mp3")
        #expect(first.uid != second.uid)
        #expect(try f.library.trackCount() == 3)
    }

    @Test("an import folder that is a link out of the music folder is refused, and nothing is written behind it")
    func importFolderLinkedOut() throws {
        let f = try Fixture()
        let outside = f.dir.appending("elsewhere")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        #expect(symlink(outside, f.music + "/Imported") == 0)
        let outcome = try #require(f.importer.importFiles([try f.upload("song.mp3")]).first)
        guard case .failure(let error) = outcome.result else { Issue.record("imported through a link out"); return }
        #expect(error.code == "import.failed")
        #expect(error.description.contains("leads out of the music folder"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(try f.library.trackCount() == 0)
    }

    @Test("a recording already in the library is not copied again: the outcome names the existing track")
    func alreadyInLibrary() throws {
        // Given a track imported once
        let f = try Fixture()
        let first = try f.importer.importFile(try f.upload("song.mp3", frequency: 300))
        // When the same recording is uploaded again, under another name too
        let outcomes = f.importer.importFiles([try f.upload("song.mp3", frequency: 300), try f.upload("copy.mp3", frequency: 300)])
        // Then each outcome is the existing track, flagged, and no second file was written
        #expect(outcomes.map(\.alreadyInLibrary) == [true, true])
        #expect(try outcomes.map { try $0.result.get().uid } == [first.uid, first.uid])
        #expect(try f.imported() == ["song.mp3"])
        #expect(try f.library.files(ofTrack: first.uid).count == 1)
        #expect(try f.library.trackCount() == 1)
    }

    @Test("not audio, a non-audio extension, an empty file and a file over the limit are refused one by one")
    func rejections() throws {
        let f = try Fixture(maxBytes: 30_000)
        let outcomes = f.importer.importFiles([
            try f.upload("fake.mp3", bytes: Array(repeating: 0x41, count: 2000)),
            try f.upload("tool.exe", bytes: [0x7F, 0x45, 0x4C, 0x46]),
            try f.upload("empty.flac", bytes: []),
            try f.upload("big.wav", frequency: 440, format: "wav"),  // 1 s of 22 kHz 16-bit: ~44 kB
            try f.upload("fine.mp3"),
        ])
        let codes = outcomes.map { outcome -> String in
            switch outcome.result {
            case .success: "ok"
            case .failure(let error): error.code
            }
        }
        #expect(codes == ["import.rejected", "import.rejected", "import.rejected", "import.rejected", "ok"])
        if case .failure(let error) = outcomes[1].result { #expect(error.description.contains(".exe")) }
        if case .failure(let error) = outcomes[3].result { #expect(error.description.contains("limit")) }
        #expect(try f.imported() == ["fine.mp3"])
        #expect(try f.library.trackCount() == 1)
    }
}
