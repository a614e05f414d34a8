import Foundation
import LocalStore
import MediaIO
import OmniModel
import Testing
@testable import WebUI

/// Edits as overrides, favorites, ratings, plays, browsing — each test on its own library.
@Suite("User data")
struct UserDataTests {
    func sha(_ path: String) throws -> String {
        SHA256.hexDigest([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test("Given a track, when PATCHed, then the track and search show the edit, the file's bytes are unchanged, and null restores the file's value")
    func editIsOverride() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first)
        let path = fixture.music + "/" + record.path
        let before = try sha(path)
        let reply = try await server.http.json("PATCH", "/api/tracks/\(record.uid.rawValue)",
                                               ["title": "Zyzzyva Override", "year": 1987, "genres": ["Polka", "Dub"]])
        #expect(reply.status == 200, "\(reply.text)")
        let json = try reply.json()
        #expect(json["title"] as? String == "Zyzzyva Override")
        #expect(json["year"] as? Int == 1987)
        #expect(json["genres"] as? [String] == ["Polka", "Dub"])
        #expect(try sha(path) == before)
        let found = try await server.http.get("/api/search?q=zyzzyva")
        #expect((try found.json()["tracks"] as? [[String: Any]])?.first?["uid"] as? String == record.uid.rawValue)
        let reset = try await server.http.send("PATCH", "/api/tracks/\(record.uid.rawValue)",
                                               headers: [("Content-Type", "application/json")], body: Array(#"{"title":null}"#.utf8))
        #expect(reset.status == 200)
        #expect(try reset.json()["title"] as? String == record.title)
        #expect(try reset.json()["year"] as? Int == 1987)
        #expect(try sha(path) == before)
    }

    @Test("Given bad edits, when PATCHed, then 400 (unknown field, wrong type, malformed JSON) or 404 (unknown track)")
    func badEdits() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let uid = try #require(try fixture.allTracks().first?.uid.rawValue)
        for body in [#"{"path":"x"}"#, #"{"year":"nineteen"}"#, #"{"title":true}"#, #"{"title":"#, "[]", #"{"year":123456}"#, #"{"title":""}"#] {
            let reply = try await server.http.send("PATCH", "/api/tracks/\(uid)", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
            #expect(reply.status == 400, "\(body) → \(reply.status) \(reply.text)")
        }
        #expect(try await server.http.json("PATCH", "/api/tracks/aaaaaaaaaaaaaaaaaaaaaaaaaa", ["title": "x"]).status == 404)
    }

    @Test("Given a track, when favorited, rated and played, then its user state shows it and favorites lists it; unfavorite and null rating undo")
    func favoriteRatingPlayed() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let uid = try #require(try fixture.allTracks().first?.uid.rawValue)
        let fav = try await server.http.send("POST", "/api/tracks/\(uid)/favorite")
        #expect(fav.status == 200)
        #expect(try fav.json()["favorite"] as? Bool == true)
        let favorites = try await server.http.get("/api/favorites")
        #expect((try favorites.json()["items"] as? [[String: Any]])?.map { $0["uid"] as? String } == [uid])
        let rated = try await server.http.json("PUT", "/api/tracks/\(uid)/rating", ["rating": 4])
        #expect(try rated.json()["rating"] as? Int == 4)
        #expect(try await server.http.json("PUT", "/api/tracks/\(uid)/rating", ["rating": 9]).status == 400)
        _ = try await server.http.send("POST", "/api/tracks/\(uid)/played")
        let played = try await server.http.send("POST", "/api/tracks/\(uid)/played")
        #expect(try played.json()["playCount"] as? Int == 2)
        #expect(try played.json()["lastPlayed"] as? String != nil)
        let unfav = try await server.http.send("DELETE", "/api/tracks/\(uid)/favorite")
        #expect(try unfav.json()["favorite"] as? Bool == false)
        let unrated = try await server.http.send("PUT", "/api/tracks/\(uid)/rating", headers: [("Content-Type", "application/json")], body: Array(#"{"rating":null}"#.utf8))
        #expect(try unrated.json()["rating"] is NSNull)
    }

    @Test("Given a library, when browsing albums, artists, genres, years and recent, then pages with totals come back and details resolve")
    func browse() async throws {
        let fixture = try LibraryFixture.shared.get()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let albums = try await server.http.get("/api/albums?limit=100&sort=year&order=desc")
        #expect(albums.status == 200)
        let albumItems = try #require(try albums.json()["items"] as? [[String: Any]])
        #expect((try albums.json()["total"] as? Int ?? 0) >= albumItems.count)
        let albumId = try #require(albumItems.first?["id"] as? Int)
        let album = try await server.http.get("/api/albums/\(albumId)")
        #expect(album.status == 200)
        let tracks = try #require(try album.json()["tracks"] as? [[String: Any]])
        let order = tracks.map { (($0["discNumber"] as? Int) ?? 0, ($0["trackNumber"] as? Int) ?? 0) }
        #expect(order.map { $0.0 * 10_000 + $0.1 } == order.map { $0.0 * 10_000 + $0.1 }.sorted())
        let artists = try await server.http.get("/api/artists")
        let artistId = try #require((try artists.json()["items"] as? [[String: Any]])?.first?["id"] as? Int)
        #expect(try await server.http.get("/api/artists/\(artistId)").status == 200)
        let genres = try await server.http.get("/api/genres")
        if let genreId = (try genres.json()["items"] as? [[String: Any]])?.first?["id"] as? Int {
            #expect(try await server.http.get("/api/genres/\(genreId)/tracks").status == 200)
        }
        let years = try await server.http.get("/api/years")
        if let year = (try years.json()["items"] as? [[String: Any]])?.first?["year"] as? Int {
            let byYear = try await server.http.get("/api/years/\(year)/tracks")
            #expect((try byYear.json()["items"] as? [[String: Any]])?.allSatisfy { $0["year"] as? Int == year } == true)
        }
        let recent = try await server.http.get("/api/recent?limit=3")
        #expect((try recent.json()["items"] as? [[String: Any]])?.count == 3)
        #expect(try await server.http.get("/api/albums/999999").status == 404)
        #expect(try await server.http.get("/api/albums?limit=-3").status == 400)
        #expect(try await server.http.get("/api/albums?sort=color").status == 400)
    }
}
