import Foundation
import LocalStore
import OmniModel
import Testing
@testable import WebUI

@Suite("Playlists and saved searches")
struct PlaylistTests {
    func uids(_ reply: RawHTTP.Reply) throws -> [String] {
        (try reply.json()["items"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } ?? []
    }

    func itemIds(_ reply: RawHTTP.Reply) throws -> [String] {
        (try reply.json()["items"] as? [[String: Any]])?.compactMap { $0["itemId"] as? String } ?? []
    }

    @Test("Given a playlist, when tracks are appended, inserted, moved and removed, then the order is exactly what was asked, duplicates included")
    func order() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let t = try fixture.allTracks().map(\.uid.rawValue)
        let created = try await server.http.json("POST", "/api/playlists", ["name": "Road trip"])
        #expect(created.status == 201)
        let id = try #require(try created.json()["id"] as? String)
        var reply = try await server.http.json("POST", "/api/playlists/\(id)/items", ["uids": [t[0], t[1], t[2]]])
        #expect(try uids(reply) == [t[0], t[1], t[2]])
        reply = try await server.http.json("POST", "/api/playlists/\(id)/items", ["uids": [t[3], t[0]], "index": 1])
        #expect(try uids(reply) == [t[0], t[3], t[0], t[1], t[2]])
        let items = try itemIds(reply)
        reply = try await server.http.json("POST", "/api/playlists/\(id)/items/\(items[4])/move", ["index": 0])
        #expect(try uids(reply) == [t[2], t[0], t[3], t[0], t[1]])
        reply = try await server.http.json("POST", "/api/playlists/\(id)/items/\(items[0])/move", ["index": 4])
        #expect(try uids(reply) == [t[2], t[3], t[0], t[1], t[0]])
        reply = try await server.http.send("DELETE", "/api/playlists/\(id)/items/\(items[2])")
        #expect(try uids(reply) == [t[2], t[3], t[1], t[0]])
        let fetched = try await server.http.get("/api/playlists/\(id)")
        #expect(try uids(fetched) == [t[2], t[3], t[1], t[0]])
        #expect((try fetched.json()["items"] as? [[String: Any]])?.first?["track"] as? [String: Any] != nil)
        let list = try await server.http.get("/api/playlists")
        let summary = try #require((try list.json()["playlists"] as? [[String: Any]])?.first)
        #expect(summary["name"] as? String == "Road trip")
        #expect(summary["trackCount"] as? Int == 4)
        let renamed = try await server.http.json("PATCH", "/api/playlists/\(id)", ["name": "Night drive"])
        #expect(try renamed.json()["name"] as? String == "Night drive")
        #expect(try await server.http.send("DELETE", "/api/playlists/\(id)").status == 204)
        #expect(try await server.http.get("/api/playlists/\(id)").status == 404)
    }

    @Test("Given a playlist, when exported as .m3u8 and imported back, then the same tracks come back in order")
    func m3uRoundTrip() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let t = try fixture.allTracks().map(\.uid.rawValue)
        let id = try #require(try await server.http.json("POST", "/api/playlists", ["name": "Mix"]).json()["id"] as? String)
        _ = try await server.http.json("POST", "/api/playlists/\(id)/items", ["uids": [t[2], t[0], t[2]]])
        let exported = try await server.http.get("/api/playlists/\(id).m3u8")
        #expect(exported.status == 200)
        #expect(exported.headers["content-type"]?.hasPrefix("audio/x-mpegurl") == true)
        #expect(exported.text.hasPrefix("#EXTM3U\n"))
        let text = exported.text + "/not/in/library.mp3\nhttp://radio.example/stream\n"
        let imported = try await server.http.send("POST", "/api/playlists/import?name=Back", headers: [("Content-Type", "audio/x-mpegurl")], body: Array(text.utf8))
        #expect(imported.status == 201, "\(imported.text)")
        let json = try imported.json()
        let playlist = try #require(json["playlist"] as? [String: Any])
        #expect(playlist["name"] as? String == "Back")
        #expect((playlist["items"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } == [t[2], t[0], t[2]])
        #expect(json["unresolved"] as? [String] == ["/not/in/library.mp3"])
        // Relative paths resolve against the music roots.
        let record = try #require(try fixture.allTracks().first)
        let relative = try await server.http.send("POST", "/api/playlists/import", headers: [("Content-Type", "audio/x-mpegurl")], body: Array("#EXTM3U\n\(record.path)\r\n../../etc/passwd\n".utf8))
        #expect((try relative.json()["playlist"] as? [String: Any]).flatMap { $0["items"] as? [[String: Any]] }?.count == 1)
    }

    @Test("Given playlists named in any script, when exported, then the download keeps the name (RFC 6266 filename*) with an ASCII fallback")
    func exportFileNames() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let cases: [(name: String, fallback: String, encoded: String)] = [
            ("QA Mix — renamed ✓", "QA Mix - renamed.m3u8", "QA%20Mix%20%E2%80%94%20renamed%20%E2%9C%93.m3u8"),
            ("坂本龍一 ベスト", "playlist.m3u8", "%E5%9D%82%E6%9C%AC%E9%BE%8D%E4%B8%80%20%E3%83%99%E3%82%B9%E3%83%88.m3u8"),
            ("Кино", "playlist.m3u8", "%D0%9A%D0%B8%D0%BD%D0%BE.m3u8"),
            ("Björk \"best\"", "Bjork best.m3u8", "Bj%C3%B6rk%20%22best%22.m3u8"),
        ]
        for (name, fallback, encoded) in cases {
            let id = try #require(try await server.http.json("POST", "/api/playlists", ["name": name]).json()["id"] as? String)
            let exported = try await server.http.get("/api/playlists/\(id).m3u8")
            #expect(exported.status == 200)
            #expect(exported.headers["content-disposition"] == "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)")
            #expect(try await server.http.send("DELETE", "/api/playlists/\(id)").status == 204)
        }
    }

    @Test("Given bad playlist requests, when sent, then 400 or 404, never 5xx")
    func badPlaylistRequests() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        #expect(try await server.http.json("POST", "/api/playlists", ["title": "x"]).status == 400)
        #expect(try await server.http.json("POST", "/api/playlists/nope/items", ["uids": ["a"]]).status == 404)
        #expect(try await server.http.json("POST", "/api/playlists/nope/items/x/move", ["index": 0]).status == 404)
        #expect(try await server.http.send("DELETE", "/api/playlists/nope").status == 404)
        #expect(try await server.http.get("/api/playlists/nope.m3u8").status == 404)
        let id = try #require(try await server.http.json("POST", "/api/playlists", ["name": "P"]).json()["id"] as? String)
        #expect(try await server.http.json("POST", "/api/playlists/\(id)/items", ["uids": ["zzzz"]]).status < 500)
        #expect(try await server.http.json("POST", "/api/playlists/\(id)/items", ["uids": [], "index": -1]).status == 400)
        #expect(try await server.http.json("POST", "/api/playlists/\(id)/items/none/move", ["index": 0]).status == 404)
        #expect(try await server.http.send("DELETE", "/api/playlists/\(id)").status == 204)
    }

    @Test("Given bytes that are not a playlist (random bytes, an image, plain words), when imported, then 400 and no playlist is made")
    func notAPlaylist() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64)
        for body in [random, png, Array("just some words\nand more words\n".utf8)] {
            // Sent as a playlist (an M3U type, as the web UI sends it): refused for its bytes, not its type.
            let reply = try await server.http.send("POST", "/api/playlists/import?name=Junk", headers: [("Content-Type", "audio/x-mpegurl")], body: body)
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.errorCode == "not_a_playlist")
        }
        let names = (try await server.http.get("/api/playlists").json()["playlists"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names?.contains("Junk") == false)
        // An empty but real playlist is still accepted.
        let empty = try await server.http.send("POST", "/api/playlists/import?name=Empty", headers: [("Content-Type", "audio/x-mpegurl")], body: Array("#EXTM3U\n".utf8))
        #expect(empty.status == 201)
        let id = try #require((try empty.json()["playlist"] as? [String: Any])?["id"] as? String)
        #expect(try await server.http.send("DELETE", "/api/playlists/\(id)").status == 204)
    }

    @Test("Given a saved search, when created, evaluated, changed and deleted, then its tracks follow the library and the definition")
    func savedSearches() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let stream = try await server.http.open("/api/events")
        _ = try await stream.read(until: ": connected")
        let created = try await server.http.json("POST", "/api/searches", ["name": "Everything", "query": "", "sort": "title", "limit": 3])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(try created.json()["id"] as? String)
        _ = try await stream.read(until: "event: savedSearchesChanged")
        let tracks = try await server.http.get("/api/searches/\(id)/tracks")
        #expect(tracks.status == 200)
        #expect((try tracks.json()["tracks"] as? [[String: Any]])?.count == 3)
        let changed = try await server.http.json("PUT", "/api/searches/\(id)", ["name": "All", "query": "", "limit": 2])
        #expect(try changed.json()["name"] as? String == "All")
        #expect((try await server.http.get("/api/searches/\(id)/tracks").json()["tracks"] as? [[String: Any]])?.count == 2)
        let list = try await server.http.get("/api/searches")
        #expect((try list.json()["searches"] as? [[String: Any]])?.count == 1)
        #expect(try await server.http.json("POST", "/api/searches", ["name": "x", "query": "", "sort": "bogus"]).status == 400)
        #expect(try await server.http.send("DELETE", "/api/searches/\(id)").status == 204)
        #expect(try await server.http.get("/api/searches/\(id)").status == 404)
        #expect(try await server.http.get("/api/searches/\(id)/tracks").status == 404)
    }
}
