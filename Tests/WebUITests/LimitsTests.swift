import Foundation
import Glibc
import OmniModel
import TestSupport
import Testing
@testable import WebUI

/// What keeps one client from exhausting the server or riding on the browser: timeouts, caps on
/// event streams and uploads, JSON-only bodies, the security headers, one loopback rule.
@Suite("Limits and browser protections")
struct LimitsTests {
    let fixture: LibraryFixture

    init() throws { fixture = try LibraryFixture.shared.get() }

    @Test("Given a client that never finishes its request head, when the idle timeout passes, then the server closes the connection and still serves others")
    func headerTimeout() async throws {
        let server = try await RunningServer.start(fixture) { $0.connections.idleTimeout = .milliseconds(500) }
        defer { Task { await server.stop() } }
        let port = server.port
        let closedAfter = try await RawHTTP.onThread { () throws -> Double in
            let fd = try RawHTTP.connect(port: port)
            defer { close(fd) }
            try RawHTTP.writeAll(fd, Array("GET /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8))
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let start = Date()
            var byte: UInt8 = 0
            _ = recv(fd, &byte, 1, 0)  // 0 (closed) or -1 (reset); blocks while the server keeps it
            return Date().timeIntervalSince(start)
        }
        #expect(closedAfter < 5, "the half-sent request was held \(closedAfter) s")
        #expect(try await server.http.get("/healthz").status == 200)
    }

    @Test("Given the cap on event streams, when one more stream is asked, then 503 with Retry-After; a closed stream frees its place")
    func eventStreamCap() async throws {
        let server = try await RunningServer.start(fixture) { $0.maxEventStreams = 3 }
        defer { Task { await server.stop() } }
        var streams: [RawHTTP.Stream] = []
        for _ in 0..<3 {
            let stream = try await server.http.open("/api/events")
            _ = try await stream.read(until: ": connected")
            streams.append(stream)
        }
        for _ in 0..<5 {
            let refused = try await server.http.get("/api/events")
            #expect(refused.status == 503)
            #expect(refused.errorCode == "too_many_event_streams")
            #expect(refused.headers["retry-after"] == "10")
        }
        #expect(try await server.http.get("/healthz").status == 200)
        streams.removeLast()  // closes its socket; the server notices at its next write (heartbeat 200 ms)
        var reopened: RawHTTP.Stream?
        for _ in 0..<50 where reopened == nil {
            let stream = try await server.http.open("/api/events")
            if (try? await stream.read(until: ": connected", timeout: 0.5)) != nil { reopened = stream } else { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(reopened != nil)
    }

    @Test("Given an upload larger than the per-request total, when sent in several files each under the file limit, then 413 and nothing is left on disk")
    func uploadTotal() async throws {
        let server = try await RunningServer.start(fixture, maxUploadBytes: 300_000) { $0.maxUploadTotalBytes = 500_000 }
        defer { Task { await server.stop() } }
        var body: [UInt8] = []
        for index in 0..<4 {
            body += Array("--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\(index).mp3\"\r\n\r\n".utf8)
            body += [0x49, 0x44, 0x33] + Array(repeating: UInt8(0), count: 199_997) + Array("\r\n".utf8)
        }
        body += Array("--x--\r\n".utf8)
        let declared = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=x")], body: body)
        #expect(declared.status == 413)
        #expect(declared.errorCode == "upload_too_large")
        // Chunked (no Content-Length): refused while it streams, and the files written so far are removed.
        var chunked: [UInt8] = []
        for start in stride(from: 0, to: body.count, by: 65_536) {
            let piece = body[start..<min(start + 65_536, body.count)]
            chunked += Array(String(piece.count, radix: 16).utf8) + Array("\r\n".utf8) + piece + Array("\r\n".utf8)
        }
        chunked += Array("0\r\n\r\n".utf8)
        let streamed = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=x"),
                                                                                  ("Transfer-Encoding", "chunked")], body: chunked, chunked: true)
        #expect(streamed.status == 413)
        #expect(streamed.errorCode == "upload_too_large")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: server.actions.uploadDirectory)) ?? []
        #expect(left.isEmpty, "\(left)")
        #expect(server.actions.state.withLock { $0.imported.isEmpty })
    }

    @Test("Given a disk without room for the upload and the reserve, when an upload arrives, then 507 before anything is written")
    func uploadFreeSpace() async throws {
        let server = try await RunningServer.start(fixture) { $0.minimumFreeBytes = Int64(1) << 60 }
        defer { Task { await server.stop() } }
        let body = Array("--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.mp3\"\r\n\r\nID3\r\n--x--\r\n".utf8)
        let reply = try await server.http.send("POST", "/api/import", headers: [("Content-Type", "multipart/form-data; boundary=x")], body: body)
        #expect(reply.status == 507)
        #expect(reply.errorCode == "insufficient_storage")
        #expect(reply.text.contains("free"))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: server.actions.uploadDirectory)) ?? []
        #expect(left.isEmpty)
    }

    @Test("Given a JSON endpoint, when the body comes as text/plain (a cross-site form can send that, no Origin needed), then 415 and nothing changes",
          arguments: [("POST", "/api/playlists", "text/plain"), ("POST", "/api/playlists", "application/x-www-form-urlencoded"),
                      ("POST", "/api/playlists", ""), ("POST", "/api/searches", "text/plain;charset=UTF-8"),
                      ("POST", "/api/playlists/import?name=x", "text/plain")])
    func jsonOnly(method: String, path: String, type: String) async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        // A name of its own: the cases run at once on one library.
        let name = "csrf-\(UUID().uuidString.prefix(8))"
        let target = path.contains("import") ? path.replacingOccurrences(of: "name=x", with: "name=\(name)") : path
        let body = path.contains("import") ? "#EXTM3U\n" : #"{"name":"\#(name)","query":"a"}"#
        let reply = try await server.http.send(method, target, headers: type.isEmpty ? [] : [("Content-Type", type)], body: Array(body.utf8))
        #expect(reply.status == 415)
        #expect(reply.errorCode == "unsupported_media_type")
        #expect(try !fixture.library.playlists().contains { $0.name == name })
        let json = try await server.http.json("POST", "/api/playlists", ["name": "allowed \(UUID().uuidString.prefix(8))"])
        #expect(json.status == 201)
    }

    @Test("Given any answer (page, API, error), then it carries the CSP with frame-ancestors 'none', nosniff, DENY framing and no referrer")
    func securityHeaders() async throws {
        let dir = try TemporaryDirectory("web")
        try "<p>hi</p>".write(toFile: dir.appending("index.html"), atomically: true, encoding: .utf8)
        let server = try await RunningServer.start(fixture, webDirectory: dir.path)
        defer { Task { await server.stop() } }
        for path in ["/", "/api/search", "/api/tracks/nope", "/missing.js"] {
            let reply = try await server.http.get(path)
            let policy = reply.headers["content-security-policy"] ?? ""
            #expect(policy.contains("frame-ancestors 'none'"), "\(path): \(reply.headers)")
            #expect(policy.contains("default-src 'self'"))
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
            #expect(reply.headers["x-content-type-options"] == "nosniff")
            #expect(reply.headers["x-frame-options"] == "DENY")
            #expect(reply.headers["referrer-policy"] == "no-referrer")
        }
    }

    @Test("Given an IPv4-mapped loopback address, when the server is configured without a token, then it starts (the configuration's rule and the server's agree)")
    func mappedLoopback() throws {
        for host in ["::ffff:127.0.0.1", "127.0.0.2", "::1", "localhost"] {
            let configuration = APIServerConfiguration(
                host: host, library: fixture.library, artwork: fixture.artwork, musicRoots: [],
                events: EventHub(), actions: TestActions(fixture: fixture, events: EventHub()))
            #expect(throws: Never.self, "\(host)") { try APIServer(configuration: configuration) }
        }
        let mapped = APIServerConfiguration(
            host: "::ffff:192.168.1.5", library: fixture.library, artwork: fixture.artwork, musicRoots: [],
            events: EventHub(), actions: TestActions(fixture: fixture, events: EventHub()))
        #expect(throws: APIError.self) { try APIServer(configuration: mapped) }
    }
}
