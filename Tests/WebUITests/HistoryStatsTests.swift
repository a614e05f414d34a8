import Foundation
import GRDB
import LocalStore
import OmniModel
import Testing
import TestSupport
@testable import WebUI

/// The play history (`/api/history`, CSV and ListenBrainz exports, ListenBrainz import) and
/// `/api/stats` on a make-corpus library, against a real server (decision 0028).
@Suite("Play history and statistics")
struct HistoryStatsTests {
    @Test("Given a make-corpus library and three plays through two clients, when GET /api/stats, then the library figures match the database, the plays, listening time, top tracks, per-day chart and never-played count follow the plays, and duplicates say not available")
    func statistics() async throws {
        let fixture = try LibraryFixture(tracks: 12)
        let server = try await RunningServer.start(fixture)
        let http = server.http
        let tracks = try fixture.allTracks()
        #expect(try await http.send("POST", "/api/tracks/\(tracks[0].uid)/played?client=web").status == 200)
        #expect(try await http.send("POST", "/api/tracks/\(tracks[0].uid)/played?client=web").status == 200)
        #expect(try await http.send("POST", "/api/tracks/\(tracks[1].uid)/played").status == 200)
        #expect(try await http.send("POST", "/api/tracks/\(tracks[1].uid)/played?client=Bad%20Client").status == 400)

        let reply = try await http.get("/api/stats?period=week&tz=Europe/Berlin")
        #expect(reply.status == 200, "\(reply.text)")
        let stats = try reply.json()
        let library = try #require(stats["library"] as? [String: Any])
        let expected = try DatabaseQueue(path: fixture.dir.appending("library.sqlite")).read { db in
            try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM track), (SELECT sum(durationMs) FROM track),
                       (SELECT sum(size) FROM file WHERE trackId IS NOT NULL), (SELECT count(*) FROM file WHERE trackId IS NULL AND probeError IS NOT NULL)
                """)!
        }
        #expect(library["tracks"] as? Int == expected[0] as Int)
        #expect(library["tracks"] as? Int == tracks.count)
        #expect((library["durationMs"] as? NSNumber)?.int64Value == expected[1] as Int64)
        #expect((library["sizeBytes"] as? NSNumber)?.int64Value == expected[2] as Int64)
        let formats = try #require(library["formats"] as? [[String: Any]])
        #expect(formats.compactMap { $0["tracks"] as? Int }.reduce(0, +) == tracks.count)
        let bitrates = try #require(library["bitrates"] as? [[String: Any]])
        #expect(bitrates.compactMap { $0["tracks"] as? Int }.reduce(0, +) == tracks.count)

        let health = try #require(stats["health"] as? [String: Any])
        #expect(health["unreadableCount"] as? Int == expected[3] as Int)
        #expect((health["unreadable"] as? [Any])?.count == min(100, expected[3] as Int))
        #expect((health["duplicates"] as? [String: Any])?["available"] as? Bool == false)

        let listening = try #require(stats["listening"] as? [String: Any])
        #expect(listening["plays"] as? Int == 3)
        let played = (tracks[0].durationMs ?? 0) * 2 + (tracks[1].durationMs ?? 0)
        #expect((listening["listeningMs"] as? NSNumber)?.int64Value == Int64(played))
        let top = try #require(listening["topTracks"] as? [[String: Any]])
        #expect(top.first?["uid"] as? String == tracks[0].uid.rawValue)
        #expect(top.first?["plays"] as? Int == 2)
        let days = try #require(listening["perDay"] as? [[String: Any]])
        #expect(days.count == 7)
        #expect(days.last?["plays"] as? Int == 3)
        #expect(listening["neverPlayedCount"] as? Int == tracks.count - 2)
        #expect(try await http.get("/api/stats?period=decade").status == 400)
        #expect(try await http.get("/api/stats?tz=Nowhere/Land").status == 400)

        // The history names the clients.
        let history = try await http.get("/api/history").json()
        let listens = try #require(history["listens"] as? [[String: Any]])
        #expect(history["total"] as? Int == 3)
        #expect(Set(listens.compactMap { $0["client"] as? String }) == ["web", "api"])
        await server.stop()
    }

    @Test("Given plays, when the history is exported as CSV and as ListenBrainz JSON and the JSON is imported into another library, then the CSV has a header and a row per play, and the import adds each listen once (again: none), matched to the same tracks")
    func exportAndImport() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        let tracks = try fixture.allTracks()
        for uid in [tracks[0].uid, tracks[2].uid] {
            #expect(try await server.http.send("POST", "/api/tracks/\(uid)/played?client=player").status == 200)
        }
        let csv = try await server.http.get("/api/history.csv")
        #expect(csv.status == 200)
        #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
        let lines = csv.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == PlayHistoryFormats.csvHeader)
        #expect(lines.count == 3)
        #expect(lines[1].contains(tracks[0].uid.rawValue) && lines[1].hasSuffix(",player"))
        let json = try await server.http.get("/api/history.json")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.body)) as? [[String: Any]])
        #expect(array.count == 2)
        #expect((array.first?["track_metadata"] as? [String: Any])?["track_name"] as? String == tracks[0].title)
        await server.stop()

        // Another library (the same files): the export comes in once, with the same tracks.
        let other = try LibraryFixture(tracks: 6)
        let second = try await RunningServer.start(other)
        let imported = try await second.http.send("POST", "/api/history/import", headers: [("Content-Type", "application/json")], body: json.body)
        #expect(imported.status == 200, "\(imported.text)")
        #expect(try imported.json()["imported"] as? Int == 2)
        let again = try await second.http.send("POST", "/api/history/import", headers: [("Content-Type", "application/json")], body: json.body)
        #expect(try again.json()["imported"] as? Int == 0)
        let listens = try other.library.listens()
        #expect(Set(listens.compactMap(\.uid)) == [tracks[0].uid, tracks[2].uid])
        #expect(Set(listens.map(\.client)) == ["player"])
        // A ListenBrainz submission body with a listen omnisonic never made, and junk.
        let submission = #"{"listen_type":"import","payload":[{"listened_at":1700000000,"track_metadata":{"artist_name":"Somebody","track_name":"Elsewhere"}}]}"#
        let third = try await second.http.send("POST", "/api/history/import", headers: [("Content-Type", "application/json")], body: Array(submission.utf8))
        #expect(try third.json()["imported"] as? Int == 1)
        #expect(try other.library.listens().contains { $0.title == "Elsewhere" && $0.client == "listenbrainz" && $0.uid == nil })
        let junk = try await second.http.send("POST", "/api/history/import", headers: [("Content-Type", "application/json")], body: Array(#"{"hello":1}"#.utf8))
        #expect(junk.status == 400)
        await second.stop()
    }
}
