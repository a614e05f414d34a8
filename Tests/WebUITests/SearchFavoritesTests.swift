import Foundation
import LocalStore
import OmniModel
import Testing
@testable import WebUI

/// `is:favorite` in the search language: the web UI's "favorites only" filter with text and sort.
@Suite("Search: is:favorite")
struct SearchFavoritesTests {
    @Test("Given two favorites, when searching is:favorite alone, with a title word and with a sort, then only favorites come back with exact totals; unfavoriting removes one")
    func favoritesFilter() async throws {
        let fixture = try LibraryFixture(tracks: 8)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let tracks = try fixture.allTracks()
        let chosen = Array(tracks.prefix(2))
        for track in chosen {
            #expect(try await server.http.send("POST", "/api/tracks/\(track.uid.rawValue)/favorite").status == 200)
        }
        let all = try await server.http.get("/api/search?q=is:favorite&limit=50")
        #expect(all.status == 200)
        #expect(try all.json()["total"] as? Int == 2)
        let uids = Set((try all.json()["tracks"] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String })
        #expect(uids == Set(chosen.map(\.uid.rawValue)))

        let word = try #require(chosen[0].title.split(separator: " ").first.map(String.init))
        let query = "is:favorite \(word)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let withText = try await server.http.get("/api/search?q=\(query)&limit=50")
        let found = (try withText.json()["tracks"] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String }
        #expect(found.contains(chosen[0].uid.rawValue))
        #expect(found.allSatisfy { uids.contains($0) })

        let sorted = try await server.http.get("/api/search?q=is:favorite&sort=title&order=desc&limit=50")
        let titles = (try sorted.json()["tracks"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
        #expect(titles.count == 2)

        #expect(try await server.http.send("DELETE", "/api/tracks/\(chosen[1].uid.rawValue)/favorite").status == 200)
        #expect(try await server.http.get("/api/search?q=is:favorite&limit=50").json()["total"] as? Int == 1)
    }
}
