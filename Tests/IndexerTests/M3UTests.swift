import Foundation
import Testing
import TestSupport
@testable import Indexer
import LocalStore
import OmniModel

@Suite("M3U playlists")
struct M3UTests {
    @Test("extended M3U with a BOM, CRLF, EXTINF, file URLs, Windows paths and comments parses into entries")
    func parseExtended() {
        let text = "\u{FEFF}#EXTM3U\r\n#EXTINF:215,Björk - Jóga\r\nBjörk/Homogenic/02 Jóga.flac\r\n# a comment\r\n"
            + "#EXTINF:-1 tvg-id=\"x\",Unknown length\r\nfile:///home/ada/Music/a%20b/c%C3%A9.mp3\r\n"
            + "\r\n#EXTINF:61.6,\r\nC:\\Users\\ada\\Music\\Album\\01.mp3\rhttp://radio.example/stream\n..\\up\\x.ogg\n"
            + "file://localhost/srv/m.opus\n"
        let entries = M3U.parse(Array(text.utf8))
        #expect(entries.map(\.location) == [
            "Björk/Homogenic/02 Jóga.flac", "/home/ada/Music/a b/cé.mp3", "C:/Users/ada/Music/Album/01.mp3",
            "http://radio.example/stream", "../up/x.ogg", "/srv/m.opus",
        ])
        #expect(entries.map(\.durationSeconds) == [215, nil, 62, nil, nil, nil])
        #expect(entries[0].displayTitle == "Björk - Jóga")
        #expect(entries[1].displayTitle == "Unknown length")
        #expect(entries[2].displayTitle == nil)
        #expect(entries[2].fileName == "01.mp3")
        #expect(entries[3].isRemoteURL)
        #expect(!entries[0].isAbsolute && entries[1].isAbsolute)
    }

    @Test("durations no track has (1e300, inf, -inf, nan, 2^63, more than a year) are no duration, not a trap; the entries stay")
    func impossibleDurations() {
        let text = HostileFiles.m3u(["a.flac", "b.flac", "c.flac", "d.flac", "e.flac", "f.flac"])
            + "#EXTINF:31622401,Long\ng.flac\n#EXTINF:31622400,Longest\nh.flac\n#EXTINF:1e-300,Tiny\ni.flac\n"
        let entries = M3U.parse(Array(text.utf8))
        #expect(entries.map(\.location) == ["a.flac", "b.flac", "c.flac", "d.flac", "e.flac", "f.flac", "g.flac", "h.flac", "i.flac"])
        #expect(entries.map(\.durationSeconds) == [nil, nil, nil, nil, nil, nil, nil, M3U.maximumSeconds, 0])
    }

    @Test("a plain Latin-1 .m3u without EXTM3U reads its accented names")
    func parseLatin1() {
        let bytes: [UInt8] = Array("Caf".utf8) + [0xE9] + Array(".mp3\n/abs/Na".utf8) + [0xEF] + Array("ve.ogg".utf8)
        #expect(M3U.parse(bytes).map(\.location) == ["Café.mp3", "/abs/Naïve.ogg"])
    }

    @Test("writing gives M3U8 with durations, \"artist - title\" and root-relative paths; unwritable paths become file URLs")
    func write() {
        let items = [
            M3U.Item(path: RawPath("/m/Björk/Jóga.flac"), durationMs: 305_400, artist: "Björk", title: "Jóga"),
            M3U.Item(path: RawPath("/elsewhere/x.mp3"), durationMs: nil, artist: nil, title: "Line\nbreak"),
            M3U.Item(path: RawPath(bytes: Array("/m/bad".utf8) + [0xFF] + Array(".mp3".utf8)), durationMs: 1000, artist: "", title: "t"),
        ]
        let text = M3U.write(items, relativeTo: RawPath("/m"))
        #expect(text == """
            #EXTM3U
            #EXTINF:305,Björk - Jóga
            Björk/Jóga.flac
            #EXTINF:-1,Line break
            /elsewhere/x.mp3
            #EXTINF:1,t
            file:///m/bad%FF.mp3

            """)
        // What we write, we read back (the non-UTF-8 URL excepted: it cannot become text).
        let back = M3U.parse(Array(text.utf8))
        #expect(back.map(\.location).prefix(2) == ["Björk/Jóga.flac", "/elsewhere/x.mp3"])
        #expect(back[0].durationSeconds == 305)
    }

    @Test("entries resolve by absolute path, by path relative to the playlist or a root, then by file name and duration")
    func resolve() throws {
        let dir = try TemporaryDirectory("m3u")
        let music = dir.appending("Music")
        for (folder, name, frequency, seconds) in [("A", "one.mp3", 300, 2), ("B", "two.mp3", 500, 3), ("C", "same.mp3", 700, 2), ("D", "same.mp3", 900, 5)] {
            try FileManager.default.createDirectory(atPath: "\(music)/\(folder)", withIntermediateDirectories: true)
            try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=\(seconds):sample_rate=22050", "-ac", "1",
                              "-bitexact", "\(music)/\(folder)/\(name)"])
        }
        let library = try Library(path: dir.appending("library.sqlite"))
        let indexer = Indexer(library: library, artwork: ArtworkCache(directory: dir.appending("artwork")))
        _ = try indexer.scan(roots: [RawPath(music)])
        func uid(_ relative: String) throws -> TrackUID? {
            try library.search(SearchQuery(text: "", limit: 100)).tracks.first { $0.path == relative }?.uid
        }

        let playlist = """
            #EXTM3U
            \(music)/A/one.mp3
            ../B/two.mp3
            C/same.mp3
            file://\(music)/A/./one.mp3
            #EXTINF:5,Somebody - Same
            /old/disk/same.mp3
            /old/disk/same.mp3
            /old/disk/two.mp3
            /old/disk/missing.mp3
            https://example.com/stream.mp3
            """
        let resolutions = try M3UResolver(library: library).resolve(M3U.parse(Array(playlist.utf8)), playlistFolder: music + "/Playlists")
        #expect(resolutions.map(\.uid) == [
            try uid("A/one.mp3"), try uid("B/two.mp3"), try uid("C/same.mp3"), try uid("A/one.mp3"),
            try uid("D/same.mp3"),  // name + duration picks the 5-second one
            nil,                    // two files named same.mp3 and no duration: ambiguous
            try uid("B/two.mp3"),   // one file of that name
            nil, nil,
        ])
        #expect(resolutions.map(\.match) == [.path, .path, .path, .path, .fileName, nil, .fileName, nil, nil])
    }
}
