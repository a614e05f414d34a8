import Foundation
import LocalStore
import OmniModel
import Testing
@testable import MPDProtocol

/// The MPD front door over real sockets, on a scanned make-corpus library and a real player.
@Suite("MPD protocol over a socket", .serialized)
struct MPDServerTests {
    @Test("Given a connection, then it is greeted as MPD 0.23.5; an unknown command, a bad argument and a missing song answer MPD's ACKs")
    func greetingAndErrors() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        #expect(c.greeting == "OK MPD 0.23.5")
        #expect(try c.run("nosuchcommand 1") == [#"ACK [5@0] {} unknown command "nosuchcommand""#])
        #expect(try c.run("setvol x") == ["ACK [2@0] {setvol} Integer expected: x"])
        #expect(try c.run("deleteid 987654") == ["ACK [50@0] {deleteid} No such song"])
        #expect(try c.run("ping") == ["OK"])
        await f.stop()
    }

    @Test("Given command lists, then list_OK follows each command, and an error stops the list and names its index")
    func commandLists() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        c.send("command_list_ok_begin\nping\nsetvol 40\ncommand_list_end\n")
        #expect(try c.reply() == ["list_OK", "list_OK", "OK"])
        c.send("command_list_begin\nping\nsetvol 30\nplay 99\nsetvol 10\ncommand_list_end\n")
        #expect(try c.reply() == ["ACK [2@2] {play} Bad song index"])
        // The commands before the failure ran, the ones after did not.
        #expect(try c.value("getvol", "volume") == "30")
        await f.stop()
    }

    @Test("Given the library, when adding a folder and editing the queue, then playlistinfo, ids and plchanges follow the queue version exactly")
    func queueAndVersions() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        let top = try c.pairs("lsinfo").filter { $0.0 == "directory" }.map(\.1)
        #expect(!top.isEmpty)
        let all = try c.pairs("listall").filter { $0.0 == "file" }.map(\.1)
        #expect(all.count >= 12)
        let v0 = Int(try c.value("status", "playlist") ?? "") ?? -1
        try c.run("add " + Tokenizer.quote(all[0]))
        try c.run("add " + Tokenizer.quote(all[1]))
        let id = try c.value("addid " + Tokenizer.quote(all[2]) + " 0", "Id")
        #expect(id != nil)
        let queue = try c.pairs("playlistinfo").filter { $0.0 == "file" }.map(\.1)
        #expect(queue == [all[2], all[0], all[1]])
        let v1 = Int(try c.value("status", "playlist") ?? "") ?? -1
        #expect(v1 > v0)
        #expect(try c.run("plchanges \(v1)") == ["OK"])
        // Moving the last entry to the front changes every position.
        try c.run("move 2 0")
        let v2 = Int(try c.value("status", "playlist") ?? "") ?? -1
        #expect(v2 > v1)
        #expect(try c.pairs("plchangesposid \(v1)").filter { $0.0 == "cpos" }.map(\.1) == ["0", "1", "2"])
        // Deleting the last entry changes no remaining position.
        try c.run("delete 2")
        let v3 = Int(try c.value("status", "playlist") ?? "") ?? -1
        #expect(try c.pairs("plchanges \(v2)").filter { $0.0 == "file" }.isEmpty)
        #expect(try c.value("status", "playlistlength") == "2")
        #expect(v3 > v2)
        #expect(try c.run("deleteid \(id!)").last == "OK")
        #expect(try c.value("status", "playlistlength") == "1")
        await f.stop()
    }

    @Test("Given a client idling, when another connection changes the volume and the queue, then it wakes with mixer, then with playlist; a stray noidle is ignored")
    func idle() async throws {
        let f = try MPDFixture()
        let a = try f.client()
        let b = try MPDClient(socketPath: f.socketPath)
        #expect(b.greeting == "OK MPD 0.23.5")
        // Not idling: noidle is ignored (no answer), the next command answers normally.
        a.send("noidle\n")
        #expect(try a.run("ping") == ["OK"])
        a.send("idle mixer\n")
        try b.run("setvol 42")
        #expect(try a.reply() == ["changed: mixer", "OK"])
        a.send("idle playlist player\n")
        let file = try b.pairs("listall").first { $0.0 == "file" }!.1
        try b.run("add " + Tokenizer.quote(file))
        #expect(try a.reply() == ["changed: playlist", "OK"])
        // noidle ends an idle with nothing changed.
        a.send("idle database\n")
        a.send("noidle\n")
        #expect(try a.reply() == ["OK"])
        await f.stop()
    }

    @Test("Given a line longer than the limit, then that client alone is dropped")
    func longLine() async throws {
        let f = try MPDFixture()
        let a = try f.client()
        let b = try f.client()
        a.send("ping " + String(repeating: "x", count: MPDServer.maxLineBytes + 10))
        #expect(try a.line() == nil)
        #expect(try b.run("ping") == ["OK"])
        await f.stop()
    }

    @Test("Given filters, when finding with an expression and with legacy pairs, then both agree; search ignores case; list groups")
    func findAndList() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        let albums = try c.pairs("list album group albumartist")
        let firstAlbum = try #require(albums.first { $0.0 == "Album" && !$0.1.isEmpty }?.1)
        let legacy = try c.pairs("find album " + Tokenizer.quote(firstAlbum)).filter { $0.0 == "file" }.map(\.1)
        let expression = try c.pairs("find " + Tokenizer.quote("(album == " + Tokenizer.quote(firstAlbum) + ")")).filter { $0.0 == "file" }.map(\.1)
        #expect(!legacy.isEmpty)
        #expect(legacy == expression)
        let folded = try c.pairs("search album " + Tokenizer.quote(firstAlbum.uppercased())).filter { $0.0 == "file" }.map(\.1)
        #expect(Set(legacy).isSubset(of: Set(folded)))
        let counted = try c.value("count album " + Tokenizer.quote(firstAlbum), "songs")
        #expect(counted == String(legacy.count))
        let window = try c.run("find " + Tokenizer.quote("(album == " + Tokenizer.quote(firstAlbum) + ")") + " sort Title window 0:1")
        #expect(window.filter { $0.hasPrefix("file: ") }.count == 1, "\(window)")
        await f.stop()
    }

    @Test("Given the song index's caches (song lines, folded values), when tagtypes narrows the tags and searches repeat, then every answer is what the uncached path gives")
    func cachedAnswers() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        let first = try c.run("listallinfo")
        #expect(first.contains { $0.hasPrefix("Artist: ") })
        // Cached lines are used only with every tag enabled: narrowing the tags writes afresh.
        try c.run("tagtypes disable Artist")
        let narrowed = try c.run("listallinfo")
        #expect(!narrowed.contains { $0.hasPrefix("Artist: ") })
        #expect(narrowed.filter { $0.hasPrefix("file: ") } == first.filter { $0.hasPrefix("file: ") })
        try c.run("tagtypes all")
        #expect(try c.run("listallinfo") == first)
        // The queue's answer is the same lines, with Pos and Id.
        try c.run("add \"\"")
        let queue = try c.run("playlistinfo").filter { !$0.hasPrefix("Pos: ") && !$0.hasPrefix("Id: ") }
        #expect(Self.songBlocks(queue) == Self.songBlocks(first))
        #expect(Self.songBlocks(queue).count == first.filter { $0.hasPrefix("file: ") }.count)
        // search folds case from the folded-value cache, the same on a second run.
        let artist = try #require(first.first { $0.hasPrefix("Artist: ") }.map { String($0.dropFirst(8)) })
        let exact = try c.run("find artist " + Tokenizer.quote(artist))
        let folded = try c.run("search artist " + Tokenizer.quote(artist.uppercased()))
        #expect(Set(exact).isSubset(of: Set(folded)))
        #expect(try c.run("search artist " + Tokenizer.quote(artist.uppercased())) == folded)
        let part = String(artist.lowercased().prefix(3))
        let any = try c.run("search any " + Tokenizer.quote(part)).filter { $0.hasPrefix("file: ") }
        #expect(Set(exact.filter { $0.hasPrefix("file: ") }).isSubset(of: Set(any)))
        await f.stop()
    }

    /// Each song's lines by its `file:` (a block ends at the next `file:` or `directory:`).
    static func songBlocks(_ lines: [String]) -> [String: [String]] {
        var blocks: [String: [String]] = [:]
        var current: String?
        for line in lines {
            if line.hasPrefix("file: ") { current = line; blocks[line] = [] } else if line.hasPrefix("directory: ") || line == "OK" { current = nil } else if let current { blocks[current]!.append(line) }
        }
        return blocks
    }

    @Test("Given MPD writes, when saving a playlist and setting a rating sticker, then the library has them through the write path")
    func userData() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        let files = try c.pairs("listall").filter { $0.0 == "file" }.map(\.1)
        try c.run("add " + Tokenizer.quote(files[0]))
        try c.run("add " + Tokenizer.quote(files[1]))
        #expect(try c.run("save \"From MPD\"") == ["OK"])
        #expect(try c.run("save \"From MPD\"") == ["ACK [56@0] {save} Playlist already exists"])
        let saved = try #require(try f.library.playlists().first { $0.name == "From MPD" })
        #expect(saved.trackCount == 2)
        #expect(try c.pairs("listplaylist \"From MPD\"").map(\.1) == [files[0], files[1]])
        #expect(try c.run("sticker set song " + Tokenizer.quote(files[0]) + " rating 8") == ["OK"])
        let uid = try #require(f.door.catalog.current().song(uri: files[0])?.track.uid)
        #expect(try f.library.track(uid: uid)?.rating == 4)
        f.door.catalog.invalidate()
        #expect(try c.value("sticker get song " + Tokenizer.quote(files[0]) + " rating", "sticker") == "rating=8")
        #expect(try !f.library.operations(after: 0).isEmpty)
        // Any other sticker is kept: one track.sticker operation, read back from the library.
        #expect(try c.run("sticker set song " + Tokenizer.quote(files[0]) + " mood \"late night\"") == ["OK"])
        #expect(try f.library.operations(after: 0).last?.operation.payload == .sticker(name: "mood", value: "late night"))
        #expect(try f.library.stickers(uid: uid) == ["mood": "late night"])
        #expect(try c.pairs("sticker list song " + Tokenizer.quote(files[0])).map(\.1) == ["mood=late night", "rating=8"])
        await f.stop()
    }

    @Test("Given a song with a folder picture, when albumart is read in binarylimit chunks, then the chunks reassemble to the picture")
    func albumArt() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        let index = try f.door.catalog.current()
        let song = try #require(index.songs.first { $0.track.folderArtworkId != nil })
        try c.run("binarylimit 64")
        var data: [UInt8] = []
        var size = Int.max
        while data.count < size {
            c.send("albumart " + Tokenizer.quote(song.uri) + " \(data.count)\n")
            let sizeLine = try #require(try c.line())
            size = Int(sizeLine.dropFirst("size: ".count))!
            let binaryLine = try #require(try c.line())
            let n = Int(binaryLine.dropFirst("binary: ".count))!
            #expect(n <= 64)
            data += try c.bytes(n)
            #expect(try c.line() == "")
            #expect(try c.line() == "OK")
        }
        let reference = try #require(try f.library.artwork(id: song.track.folderArtworkId!))
        #expect(data == [UInt8](try Data(contentsOf: URL(fileURLWithPath: f.door.environment.artwork.path(forHash: reference.hash)))))
        await f.stop()
    }

    @Test("Given a password on a non-local address, then only password, ping, close and commands answer before it")
    func password() async throws {
        let f = try MPDFixture(password: "s3cret")
        let c = try f.client()
        #expect(try c.run("status") == [#"ACK [4@0] {status} you don't have permission for "status""#])
        #expect(try c.run("ping") == ["OK"])
        #expect(try c.run("password wrong") == ["ACK [3@0] {password} incorrect password"])
        #expect(try c.run("password s3cret") == ["OK"])
        #expect(try c.value("status", "state") == "stop")
        await f.stop()
    }

    @Test("Given a queued track, when played over MPD, then the ALSA capture grows and status says play, then stop at the end")
    func playback() async throws {
        let f = try MPDFixture()
        let c = try f.client()
        let files = try c.pairs("listall").filter { $0.0 == "file" }.map(\.1)
        let file = try #require(files.first { $0.hasSuffix(".flac") } ?? files.first)
        try c.run("add " + Tokenizer.quote(file))
        #expect(try c.run("play 0") == ["OK"])
        let deadline = Date().addingTimeInterval(30)
        var state = ""
        repeat {
            state = try c.value("status", "state") ?? ""
            try await Task.sleep(nanoseconds: 20_000_000)
        } while state != "stop" && Date() < deadline
        let written = (try? FileManager.default.attributesOfItem(atPath: f.capturePath)[.size] as? Int) ?? 0
        #expect(written > 0)
        #expect(state == "stop")
        await f.stop()
    }
}
