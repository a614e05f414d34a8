import Foundation
import LocalStore
import OmniModel
import Testing
@testable import WebUI

@Suite("Events and import")
struct EventsAndImportTests {
    @Test("Given a client connected to /api/events, when a change is published, then the client reads it as an SSE event")
    func sseDelivery() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let stream = try await server.http.open("/api/events")
        let head = try await stream.read(until: ": connected")
        #expect(head.contains("text/event-stream"))
        await server.events.publish(.tracksChanged(uids: [TrackUID(rawValue: "abc")]))
        let text = try await stream.read(until: "event: tracksChanged")
        #expect(text.contains("\"abc\""))
        let beat = try await stream.read(until: ": keep-alive")
        #expect(beat.contains(": keep-alive"))
    }

    @Test("Given a DELETE, when the daemon removes the track, then SSE clients get tracksRemoved")
    func deletePublishes() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let stream = try await server.http.open("/api/events")
        _ = try await stream.read(until: ": connected")
        let uid = try #require(try fixture.allTracks().first?.uid)
        #expect(try await server.http.send("DELETE", "/api/tracks/\(uid.rawValue)").status == 204)
        let text = try await stream.read(until: "event: tracksRemoved")
        #expect(text.contains(uid.rawValue))
    }

    @Test("Given a client connected to /api/events, when an album and then an artist are starred through the API, then it reads favoritesChanged with their kind and key")
    func collectionStarsPublish() async throws {
        let fixture = try LibraryFixture()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let stream = try await server.http.open("/api/events")
        _ = try await stream.read(until: ": connected")
        func firstID(_ target: String) async throws -> Int {
            let page = try await server.http.get(target)
            let items = (try JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any])?["items"] as? [[String: Any]]
            return try #require(items?.first?["id"] as? Int)
        }
        let albumID = try await firstID("/api/albums?limit=1")
        let albumKey = try #require(try fixture.library.albumKey(id: Int64(albumID)))
        #expect(try await server.http.send("POST", "/api/albums/\(albumID)/favorite").status == 200)
        _ = try await stream.read(until: "event: favoritesChanged")
        let artistID = try await firstID("/api/artists?limit=1")
        let artistKey = try #require(try fixture.library.artistKey(id: Int64(artistID)))
        #expect(try await server.http.send("POST", "/api/artists/\(artistID)/favorite").status == 200)
        let text = try await stream.read(until: "\"artist\"")
        let changes = text.components(separatedBy: "\n\n").filter { $0.contains("event: favoritesChanged") }.compactMap { frame in
            frame.components(separatedBy: "\n").first { $0.hasPrefix("data: ") }
                .flatMap { try? JSONDecoder().decode(LibraryEvent.self, from: Data($0.dropFirst(6).utf8)) }
        }
        #expect(changes == [.favoritesChanged(kind: "album", key: albumKey), .favoritesChanged(kind: "artist", key: artistKey)])
    }

    @Test("Given several audio files and one text file, when uploaded as multipart, then the audio is imported and returned and the text is rejected")
    func importSeveral() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        // Upload copies of corpus files under new names (different bytes → new tracks need new audio;
        // copies of existing audio become extra files of the same tracks, which is what import does).
        let sources = try fixture.allTracks().prefix(3)
        let boundary = "----omnisonic\(UInt32.random(in: 0...UInt32.max))"
        var body: [UInt8] = []
        for (index, record) in sources.enumerated() {
            let ext = (record.path as NSString).pathExtension
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.music + "/" + record.path)))
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"../../up \(index).\(ext)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"notes.txt\"\r\n\r\nhello\r\n".utf8)
        body += Array("--\(boundary)--\r\n".utf8)
        let reply = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: body)
        #expect(reply.status == 201, "\(reply.text)")
        let json = try reply.json()
        let tracks = try #require(json["tracks"] as? [[String: Any]])
        #expect(tracks.count == 3)
        let imported = server.actions.state.withLock { $0.imported }
        #expect(imported.map(\.fileName) == sources.enumerated().map { "up \($0.offset).\(($0.element.path as NSString).pathExtension)" })
        #expect((json["rejected"] as? [[String: Any]])?.first?["name"] as? String == "notes.txt")
        for (index, record) in sources.enumerated() {
            let ext = (record.path as NSString).pathExtension
            #expect(FileManager.default.contentsEqual(atPath: fixture.music + "/Imported/up \(index).\(ext)", andPath: fixture.music + "/" + record.path))
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: server.actions.uploadDirectory)) ?? []
        #expect(left.isEmpty)
    }

    @Test("Given malformed uploads, when sent, then 400 or 415, never 5xx")
    func badUploads() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        #expect(try await server.http.send("POST", "/api/import", headers: [("Content-Type", "application/json")], body: Array("{}".utf8)).status == 415)
        let text = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=b")],
                                              body: Array("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.mp3\"\r\n\r\nhello\r\n--b--\r\n".utf8))
        #expect(text.status == 200)
        #expect((try text.json()["tracks"] as? [Any])?.isEmpty == true)
        #expect((try text.json()["rejected"] as? [[String: Any]])?.first?["name"] as? String == "a.mp3")
        let truncated = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=b")],
                                                   body: Array("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.mp3\"\r\n\r\nID3abc".utf8))
        #expect(truncated.status == 400)
        let empty = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=b")],
                                               body: Array("--b--\r\n".utf8))
        #expect(empty.status == 400)
    }

    @Test("Given client file names, when sanitised, then only a safe last component remains")
    func sanitize() {
        #expect(MultipartReader.sanitize(fileName: "../../etc/passwd") == "passwd")
        #expect(MultipartReader.sanitize(fileName: "..\\..\\x.mp3") == "x.mp3")
        #expect(MultipartReader.sanitize(fileName: ".hidden.mp3") == "hidden.mp3")
        #expect(MultipartReader.sanitize(fileName: "a\u{0}b\nc.mp3") == "abc.mp3")
        #expect(MultipartReader.sanitize(fileName: "../..") == nil)
        #expect(MultipartReader.sanitize(fileName: "") == nil)
    }
}
