import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OmniModel
@testable import Sync
import Testing
import TestSupport

/// The administration API's refusals (issue 17, decision 0022): off without an administrator
/// token, the token on every request and never in a URL, no cross-origin requests, the web UI's
/// security headers; and its actions, audited, on both backends.
@Suite("Sync server administration: auth, origin, actions")
struct SyncAdminTests {
    /// The repository's `sync-admin/` folder.
    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sync-admin").path

    static func fixture(_ backend: Backend) async throws -> ServerFixture {
        try await ServerFixture(backend) { configuration in
            configuration.adminAssets = assets
            configuration.keepTail = 0
        }
    }

    /// A request with any headers: (status, headers, body).
    static func request(_ fixture: ServerFixture, _ path: String, method: String = "GET", token: String? = nil,
                        headers: [String: String] = [:], json: String? = nil) async throws -> (Int, [String: String], String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(fixture.port)\(path)")!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = Data(json.utf8)
            if headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        // Names in lower case: header names are case-insensitive.
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return (http.statusCode, fields, String(decoding: data, as: UTF8.self))
    }

    @Test("Given no administrator token, the page and its API answer 404; once one exists the page is served with the web UI's security headers")
    func offUntilATokenExists() async throws {
        let fixture = try await Self.fixture(.sqlite)
        defer { Task { await fixture.stop() } }
        #expect(try await Self.request(fixture, "/admin/").0 == 404)
        #expect(try await Self.request(fixture, "/admin/main.js").0 == 404)
        #expect(try await Self.request(fixture, "/admin/api/overview", token: "x").0 == 404)
        _ = try await fixture.storage.addAdminToken(name: "ops", tokenHash: DeviceToken.hash("admin-secret"), now: 0)
        let (status, headers, body) = try await Self.request(fixture, "/admin/")
        #expect(status == 200 && body.contains("<script type=\"module\" src=\"/admin/main.js\">"))
        #expect(headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)
        #expect(headers["content-security-policy"]?.contains("script-src 'self';") == true)
        #expect(headers["x-frame-options"] == "DENY")
        #expect(headers["x-content-type-options"] == "nosniff")
        let script = try await Self.request(fixture, "/admin/main.js")
        #expect(script.0 == 200 && script.1["content-type"]?.hasPrefix("text/javascript") == true)
        // Only the page's own files: nothing else of the folder or the disk.
        #expect(try await Self.request(fixture, "/admin/..%2F..%2Fetc%2Fpasswd").0 == 404)
        #expect(try await Self.request(fixture, "/admin/README.md").0 == 404)
        #expect(try await Self.request(fixture, "/admin").2.contains("<script type=\"module\" src=\"/admin/main.js\">"))
        // `sync-server admin-token --revoke-all` turns it off again.
        #expect(try await fixture.storage.removeAdminTokens() == 1)
        #expect(try await Self.request(fixture, "/admin/").0 == 404)
    }

    @Test("Given an administrator token, every API request needs it in the Authorization header: none, a wrong one, a device token, or one in the URL is refused; cross-origin requests and form posts are refused; same-origin and proxied ones pass")
    func refusals() async throws {
        let fixture = try await Self.fixture(.sqlite)
        defer { Task { await fixture.stop() } }
        _ = try await fixture.storage.addAdminToken(name: "ops", tokenHash: DeviceToken.hash("admin-secret"), now: 0)
        let device = try await fixture.device("alice")
        #expect(try await Self.request(fixture, "/admin/api/overview").0 == 401)
        #expect(try await Self.request(fixture, "/admin/api/overview", token: "wrong").0 == 401)
        #expect(try await Self.request(fixture, "/admin/api/overview", token: device).0 == 401)
        #expect(try await Self.request(fixture, "/admin/api/overview?token=admin-secret").0 == 400)
        #expect(try await Self.request(fixture, "/admin/api/overview?token=admin-secret", token: "admin-secret").0 == 400)
        #expect(try await Self.request(fixture, "/admin/api/overview", token: "admin-secret").0 == 200)

        // Cross-origin: another site's page, whatever else it sends.
        let own = "http://127.0.0.1:\(fixture.port)"
        let add = #"{"user":"mallory","name":"x","url":"http://127.0.0.1"}"#
        let evil = try await Self.request(fixture, "/admin/api/devices", method: "POST", token: "admin-secret",
                                          headers: ["Origin": "https://evil.example"], json: add)
        #expect(evil.0 == 403 && evil.2.contains("cross-origin"), "\(evil.2)")
        #expect(try await Self.request(fixture, "/admin/api/overview", token: "admin-secret",
                                        headers: ["Sec-Fetch-Site": "cross-site"]).0 == 403)
        #expect(try await Self.request(fixture, "/admin/api/overview", token: "admin-secret",
                                        headers: ["Sec-Fetch-Site": "same-site", "Origin": "http://other.127.0.0.1.nip.io"]).0 == 403)
        #expect(try await Self.request(fixture, "/admin/api/devices", method: "POST", token: "admin-secret",
                                        headers: ["Origin": "http://127.0.0.1:1"], json: add).0 == 403)
        // A form post (text/plain needs no preflight) is refused even same-origin.
        #expect(try await Self.request(fixture, "/admin/api/devices", method: "POST", token: "admin-secret",
                                        headers: ["Origin": own, "Content-Type": "text/plain"], json: add).0 == 400)
        #expect(try await fixture.storage.users().map(\.name) == ["alice"])
        // The page itself (same origin), and the page behind a TLS proxy that keeps the public Host in X-Forwarded-Host.
        #expect(try await Self.request(fixture, "/admin/api/devices", method: "POST", token: "admin-secret",
                                        headers: ["Origin": own, "Sec-Fetch-Site": "same-origin"], json: add).0 == 200)
        #expect(try await Self.request(fixture, "/admin/api/overview", token: "admin-secret",
                                        headers: ["Origin": "https://sync.example.org", "X-Forwarded-Host": "sync.example.org",
                                                  "Sec-Fetch-Site": "same-origin"]).0 == 200)
        let refused = try await Self.request(fixture, "/admin/api/overview", token: "admin-secret").1
        #expect(refused["content-security-policy"] != nil)
    }

    @Test("Given devices and a stream, the administration API adds a device (token and QR code once), renames, revokes (the device is refused at once), compacts, and deletes a user only with their exact name; each is in the audit log with who did it",
          arguments: Backend.allCases)
    func actions(backend: Backend) async throws {
        let fixture = try await Self.fixture(backend)
        defer { Task { await fixture.stop() } }
        _ = try await fixture.storage.addAdminToken(name: "ops", tokenHash: DeviceToken.hash("admin-secret"), now: 0)
        func call(_ path: String, _ json: String = "{}") async throws -> (Int, [String: Any]) {
            let (status, _, body) = try await Self.request(fixture, path, method: "POST", token: "admin-secret", json: json)
            return (status, (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:])
        }
        let (status, added) = try await call("/admin/api/devices", #"{"user":"alice","name":"laptop","url":"https://sync.example.org"}"#)
        #expect(status == 200)
        let token = try #require(added["token"] as? String)
        #expect(added["settings"] as? String == "[sync]\nurl = \"https://sync.example.org\"\ntoken = \"\(token)\"\n")
        #expect((added["qr"] as? String)?.hasPrefix("<svg") == true)
        let id = try #require(added["id"] as? Int)
        let client = fixture.client(token)
        #expect(try await client.push(ops("dev-l", 10), device: "dev-l").accepted == 10)

        #expect(try await call("/admin/api/devices/\(id)/rename", #"{"name":"work laptop"}"#).0 == 200)
        let overview = try await Self.request(fixture, "/admin/api/overview", token: "admin-secret")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(overview.2.utf8)) as? [String: Any])
        let devices = try #require(json["devices"] as? [[String: Any]])
        #expect(devices.first?["name"] as? String == "work laptop")
        #expect(devices.first?["library"] as? String == "dev-l")
        #expect(devices.first?["lastSeenAt"] as? Int != nil)
        let users = try #require(json["users"] as? [[String: Any]])
        #expect(users.first?["operations"] as? Int == 10)
        #expect((json["health"] as? [String: Any])?["database"] as? String == "ok")

        let compacted = try await call("/admin/api/users/1/compact")
        #expect(compacted.0 == 200 && compacted.1["removed"] as? Int == 9) // ten renames of one playlist
        #expect(try await fixture.storage.users().first?.compactedAt != nil)

        #expect(try await call("/admin/api/devices/\(id)/revoke").0 == 200)
        await #expect(throws: SyncError.self) { _ = try await client.pull(after: 0) }

        #expect(try await call("/admin/api/users/1/delete", #"{"confirm":"alic"}"#).0 == 400)
        #expect(try await fixture.storage.users().count == 1)
        #expect(try await call("/admin/api/users/1/delete", #"{"confirm":"alice"}"#).0 == 200)
        #expect(try await fixture.storage.users().isEmpty)
        #expect(try await fixture.storage.listDevices().isEmpty)
        #expect(try await fixture.storage.read(userID: 1, after: 0, limit: 100).ops.isEmpty)

        let audit = try await fixture.storage.auditLog(limit: 10)
        #expect(audit.map(\.action) == ["user.delete", "device.revoke", "user.compact", "device.rename", "device.add"])
        #expect(audit.allSatisfy { $0.actor == "admin ops" })
    }
}
