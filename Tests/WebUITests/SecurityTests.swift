import Foundation
import TestSupport
import Testing
@testable import WebUI

/// DNS rebinding, cross-origin writes, path traversal, body limits and the access token.
@Suite("Security")
struct SecurityTests {
    let fixture: LibraryFixture

    init() throws { fixture = try LibraryFixture.shared.get() }

    @Test("Given a foreign Host header, when any request arrives, then it is refused with 421 bad_host",
          arguments: ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "localhost:1", "10.0.0.1"])
    func foreignHost(_ host: String) async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.send("GET", "/api/search", host: host)
        #expect(reply.status == 421)
        #expect(reply.errorCode == "bad_host")
    }

    @Test("Given the server's own names, when used as Host, then requests are served")
    func ownHosts() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        for host in ["localhost", "localhost:\(server.port)", "127.0.0.1:\(server.port)", "[::1]:\(server.port)", "LOCALHOST"] {
            let reply = try await server.http.send("GET", "/healthz", host: host)
            #expect(reply.status == 200, "\(host)")
        }
    }

    @Test("Given a mutating request from another Origin, when it arrives, then it is refused with 403 bad_origin; its own origin passes")
    func crossOriginWrite() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        for origin in ["http://evil.example", "null", "http://127.0.0.1:\(server.port + 1)", "https://127.0.0.1:\(server.port)"] {
            let reply = try await server.http.send("POST", "/api/scan", headers: [("Origin", origin)])
            #expect(reply.status == 403, "\(origin)")
            #expect(reply.errorCode == "bad_origin")
        }
        #expect(server.actions.state.withLock { $0.scans } == 0)
        let own = try await server.http.send("POST", "/api/scan", headers: [("Origin", "http://127.0.0.1:\(server.port)")])
        #expect(own.status == 202)
        // Reads from another origin are not refused here (the browser's same-origin policy hides the answer).
        let read = try await server.http.get("/api/scan", headers: [("Origin", "http://evil.example")])
        #expect(read.status == 200)
    }

    @Test("Given a web folder with a symlink out of it, when traversal paths are asked, then nothing outside web/ is served",
          arguments: ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
                      "/..%2f..%2fetc/passwd", "/escape/passwd", "/secret.txt/..", "/%00index.html", "/..\\..\\etc\\passwd"])
    func traversal(_ path: String) async throws {
        let dir = try TemporaryDirectory("web")
        let web = dir.appending("web")
        try FileManager.default.createDirectory(atPath: web, withIntermediateDirectories: true)
        try "hello".write(toFile: web + "/index.html", atomically: true, encoding: .utf8)
        try "secret".write(toFile: dir.appending("secret.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: web + "/escape", withDestinationPath: "/etc")
        let server = try await RunningServer.start(fixture, webDirectory: web)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get(path)
        #expect([400, 404].contains(reply.status), "\(path) → \(reply.status)")
        #expect(!reply.text.contains("root:"))
        #expect(!reply.text.contains("secret"))
    }

    @Test("Given a web folder, when / and /index.html are asked, then index.html is served with its type")
    func staticFiles() async throws {
        let dir = try TemporaryDirectory("web")
        let web = dir.appending("web")
        try FileManager.default.createDirectory(atPath: web + "/css", withIntermediateDirectories: true)
        try "<p>hi</p>".write(toFile: web + "/index.html", atomically: true, encoding: .utf8)
        try "body{}".write(toFile: web + "/css/app.css", atomically: true, encoding: .utf8)
        let server = try await RunningServer.start(fixture, webDirectory: web)
        defer { Task { await server.stop() } }
        let root = try await server.http.get("/")
        #expect(root.status == 200)
        #expect(root.text == "<p>hi</p>")
        #expect(root.headers["content-type"]?.hasPrefix("text/html") == true)
        let css = try await server.http.get("/css/app.css")
        #expect(css.status == 200)
        #expect(css.headers["content-type"]?.hasPrefix("text/css") == true)
        #expect(try await server.http.get("/missing.js").status == 404)
    }

    @Test("Given an upload above the size limit, when it is sent, then the answer is 413 and no file is left behind")
    func uploadLimit() async throws {
        let server = try await RunningServer.start(fixture, maxUploadBytes: 1000)
        defer { Task { await server.stop() } }
        let body = Array("--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.mp3\"\r\n\r\n".utf8)
            + Array(repeating: UInt8(0xFF), count: 200_000) + Array("\r\n--x--\r\n".utf8)
        let upload = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=x")], body: body)
        #expect(upload.status == 413)
        #expect(upload.errorCode == "body_too_large")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: server.actions.uploadDirectory)) ?? []
        #expect(left.isEmpty)
    }

    @Test("Given an access token, when a request lacks it or has a wrong one, then 401; with the header or ?token= it passes; /healthz stays open")
    func accessToken() async throws {
        let server = try await RunningServer.start(fixture, token: "s3cret-token")
        defer { Task { await server.stop() } }
        #expect(try await server.http.get("/api/search").status == 401)
        #expect(try await server.http.get("/api/search", headers: [("Authorization", "Bearer wrong")]).status == 401)
        #expect(try await server.http.get("/api/search", headers: [("Authorization", "Bearer s3cret-token")]).status == 200)
        #expect(try await server.http.get("/api/search?token=s3cret-token").status == 200)
        #expect(try await server.http.get("/healthz").status == 200)
    }

    @Test("Given a non-loopback listen address without a token, when the server is configured, then it refuses to start")
    func tokenRequiredBeyondLoopback() throws {
        let configuration = APIServerConfiguration(
            host: "0.0.0.0", library: fixture.library, artwork: fixture.artwork, musicRoots: [],
            events: EventHub(), actions: TestActions(fixture: fixture, events: EventHub()))
        #expect(throws: APIError.self) { try APIServer(configuration: configuration) }
        var withToken = configuration
        withToken.accessToken = "t"
        #expect(throws: Never.self) { try APIServer(configuration: withToken) }
    }
}
