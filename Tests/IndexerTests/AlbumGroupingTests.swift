import Foundation
import GRDB
@testable import Indexer
@testable import LocalStore
import OmniModel
import Testing
import TestSupport

/// Issue 19: one album shown twice when some of its tracks lack the album artist tag.
@Suite("Albums are grouped as people expect")
struct AlbumGroupingTests {
    /// A one-second FLAC of `frequency` Hz in `folder` with these tags.
    static func write(_ music: String, _ path: String, frequency: Int, title: String, albumArtist: String?) throws {
        let target = music + "/" + path
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var metadata = ["-metadata", "title=\(title)", "-metadata", "artist=Björk", "-metadata", "album=Homogenic", "-metadata", "date=1997"]
        if let albumArtist { metadata += ["-metadata", "album_artist=\(albumArtist)"] }
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=1:sample_rate=22050", "-ac", "1"] + metadata + ["-bitexact", target])
    }

    static func albums(_ library: Library) throws -> [(title: String, tracks: Int)] {
        try library.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT title, (SELECT count(*) FROM track WHERE albumId = album.id) FROM album ORDER BY id")
                .map { ($0[0], $0[1]) }
        }
    }

    @Test("Given an album folder where some tracks lack the album artist, when scanned in one go, then it is one album")
    func oneScan() throws {
        let dir = try TemporaryDirectory("albums")
        let music = dir.appending("Music")
        try Self.write(music, "Björk/Homogenic/01.flac", frequency: 300, title: "Hunter", albumArtist: "Björk")
        try Self.write(music, "Björk/Homogenic/02.flac", frequency: 400, title: "Jóga", albumArtist: nil)
        try Self.write(music, "Björk/Homogenic/03.flac", frequency: 500, title: "Unravel", albumArtist: "Björk")
        let library = try Library(path: dir.appending("library.sqlite"))
        _ = try Indexer(library: library, artwork: ArtworkCache(directory: dir.appending("artwork"))).scan(roots: [RawPath(music)])
        let albums = try Self.albums(library)
        #expect(albums.count == 1, "\(albums)")
        #expect(albums.first?.tracks == 3)
    }

    @Test("Given the untagged tracks scanned first, when the tagged ones arrive later, then the folder's album is merged into theirs")
    func laterScan() throws {
        let dir = try TemporaryDirectory("albums")
        let music = dir.appending("Music")
        try Self.write(music, "Homogenic/02.flac", frequency: 400, title: "Jóga", albumArtist: nil)
        let library = try Library(path: dir.appending("library.sqlite"))
        let indexer = Indexer(library: library, artwork: ArtworkCache(directory: dir.appending("artwork")))
        _ = try indexer.scan(roots: [RawPath(music)])
        try Self.write(music, "Homogenic/01.flac", frequency: 300, title: "Hunter", albumArtist: "Björk")
        _ = try indexer.scan(roots: [RawPath(music)])
        let albums = try Self.albums(library)
        #expect(albums.count == 1, "\(albums)")
        #expect(albums.first?.tracks == 2)
        #expect(try library.albums().items.count == 1)
    }

    @Test("Given a library scanned before the rule, when opened, then migration v8-album-grouping merges the split album")
    func migration() throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in db.add(function: SearchIndex.foldFunction) }
        let queue = try DatabaseQueue(configuration: config)
        try Schema.migrator().migrate(queue, upTo: "v7-search-folding")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO album(id, albumKey, title, albumArtist) VALUES (1, 'homogenic' || char(31) || 'a:bjork', 'Homogenic', 'Björk');
                INSERT INTO album(id, albumKey, title, albumArtist) VALUES (2, 'homogenic' || char(31) || 'd:1:Homogenic', 'Homogenic', 'Björk');
                INSERT INTO album(id, albumKey, title, albumArtist) VALUES (3, 'mixed' || char(31) || 'd:1:Mixed', 'Mixed', 'A');
                INSERT INTO track(uid, title, titleKey, artist, album, albumId, codec, container, fileName, addedAt, updatedAt) VALUES
                    ('t1', 'Hunter', 'hunter', 'Björk', 'Homogenic', 1, 'flac', 'flac', '01.flac', 0, 0),
                    ('t2', 'Jóga', 'joga', 'BJÖRK', 'Homogenic', 2, 'flac', 'flac', '02.flac', 0, 0),
                    ('t3', 'One', 'one', 'A', 'Mixed', 3, 'flac', 'flac', '03.flac', 0, 0),
                    ('t4', 'Two', 'two', 'B', 'Mixed', 3, 'flac', 'flac', '04.flac', 0, 0);
                """)
        }
        let library = try Library(writer: queue)
        let albums = try Self.albums(library)
        #expect(albums.map(\.title) == ["Homogenic", "Mixed"])
        #expect(albums.map(\.tracks) == [2, 2])
    }
}
