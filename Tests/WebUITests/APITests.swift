import Foundation
import Hummingbird
import LocalStore
import OmniModel
import Testing
@testable import WebUI

/// The JSON endpoints against a real server on 127.0.0.1, on a library scanned from a corpus.
@Suite("JSON API")
struct APITests {
    let fixture: LibraryFixture

    init() throws { fixture = try LibraryFixture.shared.get() }

    @Test("Given a running server, when /healthz is asked, then it answers 200 {status: ok}")
    func health() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/healthz")
        #expect(reply.status == 200)
        #expect(try reply.json()["status"] as? String == "ok")
    }

    @Test("Given a library, when searching with an empty q, then every track is listed with its total and a null suggestion")
    func emptySearchListsLibrary() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let count = try fixture.library.trackCount()
        let reply = try await server.http.get("/api/search?q=&limit=5")
        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["total"] as? Int == count)
        #expect((json["tracks"] as? [[String: Any]])?.count == min(5, count))
        #expect(json.keys.contains("suggestion") && json["suggestion"] is NSNull)
        let track = try #require((json["tracks"] as? [[String: Any]])?.first)
        for key in ["uid", "path", "title", "artists", "genres", "codec", "container", "hasArtwork"] {
            #expect(track[key] != nil, "missing \(key)")
        }
    }

    @Test("Given a track's title, when searching for it, then that track is in the results")
    func searchFindsTitle() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let target = try #require(try fixture.allTracks().first { !$0.titleFromFileName })
        let q = try #require(target.title.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let reply = try await server.http.get("/api/search?q=\(q)&limit=50")
        #expect(reply.status == 200)
        let uids = (try reply.json()["tracks"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } ?? []
        #expect(uids.contains(target.uid.rawValue))
    }

    @Test("Given sort=title&order=desc, when listing, then titles come in descending folded order")
    func sortedListing() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/api/search?sort=title&order=desc&limit=100")
        let titles = (try reply.json()["tracks"] as? [[String: Any]])?.compactMap { $0["title"] as? String } ?? []
        let folded = titles.map(TextKey.fold)
        #expect(!titles.isEmpty)
        #expect(folded == folded.sorted(by: >))
    }

    @Test("Given bad query parameters, when searching, then the server answers 400 with a JSON error",
          arguments: ["limit=-1", "limit=abc", "limit=10001", "offset=-5", "sort=nope", "order=sideways"])
    func badSearchParameters(_ query: String) async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/api/search?\(query)")
        #expect(reply.status == 400)
        #expect(reply.errorCode == "bad_request")
    }

    @Test("Given hostile search text, when searching, then the server answers 200, never 5xx",
          arguments: ["%22", "%22%22%22", "AND%20OR%20NOT", "*", "year:abc", "artist:", "%E2%80%8B", "((((", "NEAR(a%20b)", "%00"])
    func hostileSearchText(_ q: String) async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/api/search?q=\(q)")
        #expect(reply.status == 200)
    }

    @Test("Given a known uid, when GET /api/tracks/{uid}, then its document is returned; an unknown uid is a JSON 404")
    func trackByUID() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let target = try #require(try fixture.allTracks().first)
        let reply = try await server.http.get("/api/tracks/\(target.uid.rawValue)")
        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["uid"] as? String == target.uid.rawValue)
        #expect(json["title"] as? String == target.title)
        #expect(json["path"] as? String == target.path)
        let missing = try await server.http.get("/api/tracks/aaaaaaaaaaaaaaaaaaaaaaaaaa")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        let weird = try await server.http.get("/api/tracks/%2e%2e%2f%2e%2e")
        #expect(weird.status == 404)
    }

    @Test("Given an unknown path or method, when asked, then the answer is a JSON 404 or 405, not HTML")
    func unknownRoutes() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/api/nothing-here")
        #expect(reply.status == 404)
        #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(reply.errorCode == "not_found")
        let put = try await server.http.send("PUT", "/healthz")
        #expect(put.status == 405)
        #expect(put.headers["allow"] == "GET")
        #expect(put.errorCode != nil)
    }

    @Test("Given the server, when /api/openapi.json is asked, then the OpenAPI 3.1 document of the repository is served")
    func openAPIDocument() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/api/openapi.json")
        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["openapi"] as? String == "3.1.0")
        let paths = try #require(json["paths"] as? [String: Any])
        for path in ["/healthz", "/api/search", "/api/tracks/{uid}", "/api/tracks/{uid}/stream", "/api/events", "/api/import", "/api/scan"] {
            #expect(paths[path] != nil, "undocumented \(path)")
        }
    }

    @Test("Given the router, when its routes are compared with the OpenAPI document, then every route and method is documented")
    func everyRouteDocumented() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.repositoryRoot + "/docs/api/openapi.json"))
        let paths = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["paths"] as? [String: [String: Any]])
        let router = Router(context: BasicRequestContext.self)
        Handlers(configuration: APIServerConfiguration(
            library: fixture.library, artwork: fixture.artwork, musicRoots: [], events: EventHub(),
            actions: TestActions(fixture: fixture, events: EventHub())), openAPIDocument: nil).registerRoutes(on: router)
        var undocumented: [String] = []
        for route in router.routes {
            let path = route.path.description.hasPrefix("/") ? route.path.description : "/" + route.path.description
            // Static files and the HEAD twin of the stream are not separate API operations.
            guard path.hasPrefix("/api/") || path == "/healthz" || path == "/metrics" else { continue }
            let method = route.method.rawValue.lowercased()
            guard ["get", "post", "put", "patch", "delete"].contains(method) else { continue }
            if paths[path]?[method] == nil { undocumented.append("\(route.method) \(path)") }
        }
        #expect(undocumented.isEmpty, "undocumented: \(undocumented)")
    }

    @Test("Given some requests, when /metrics is scraped, then it has the track gauge, latency histograms by route and counts by status")
    func metrics() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        _ = try await server.http.get("/api/search?q=a")
        _ = try await server.http.get("/api/tracks/zzzz")
        let reply = try await server.http.get("/metrics")
        #expect(reply.status == 200)
        let text = reply.text
        #expect(text.contains("omnisonic_library_tracks_count \(try fixture.library.trackCount())"))
        #expect(text.contains("omnisonic_http_request_duration_seconds_bucket{route=\"/api/search\""))
        #expect(text.contains("omnisonic_http_requests_total{route=\"/api/tracks/{uid}\",method=\"GET\",status=\"404\"}"))
    }

    @Test("Given a finished scan event, when /metrics is scraped, then the scan counters and duration histogram show it")
    func scanMetrics() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        await server.events.publish(.scanFinished(added: 7, updated: 2, moved: 1, removed: 3, failed: 1, seconds: 0.4))
        var text = ""
        for _ in 0..<50 {  // the server's subscription receives the event asynchronously
            text = try await server.http.get("/metrics").text
            if text.contains("omnisonic_scan_runs_total 1") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(text.contains("omnisonic_scan_runs_total 1"))
        #expect(text.contains("omnisonic_scan_files_total{outcome=\"added\"} 7"))
        #expect(text.contains("omnisonic_scan_files_total{outcome=\"failed\"} 1"))
        #expect(text.contains("omnisonic_scan_duration_seconds_bucket{le=\"0.5\"} 1"))
    }

    @Test("Given the scan actions, when GET and POST /api/scan, then the status is reported and a scan is requested")
    func scan() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let status = try await server.http.get("/api/scan")
        #expect(status.status == 200)
        #expect(try status.json()["phase"] as? String == "idle")
        let start = try await server.http.send("POST", "/api/scan")
        #expect(start.status == 202)
        #expect(try start.json()["running"] as? Bool == true)
        #expect(server.actions.state.withLock { $0.scans } == 1)
    }

    @Test("Given a track, when DELETE /api/tracks/{uid}, then the daemon's trash action is called and 204 returned; unknown uids are 404")
    func deleteCallsTrash() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let target = try #require(try fixture.allTracks().last)
        let reply = try await server.http.send("DELETE", "/api/tracks/\(target.uid.rawValue)")
        #expect(reply.status == 204)
        #expect(server.actions.state.withLock { $0.trashed } == [target.uid])
        let missing = try await server.http.send("DELETE", "/api/tracks/aaaaaaaaaaaaaaaaaaaaaaaaaa")
        #expect(missing.status == 404)
    }
}
