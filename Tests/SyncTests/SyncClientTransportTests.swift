import Foundation
import OmniModel
@testable import Sync
import Testing
import TestSupport

/// The sync client's own HTTP/1.1 transport (decision 0030): what it sends, how it reads the
/// server's refusals, HTTPS against the real server, timeouts and cancellation.
@Suite("Sync client: its HTTP/1.1 transport")
struct SyncClientTransportTests {
    @Test("Given a push, then the request carries the token, the device id, a JSON body of its announced length and the Host; a 503 with Retry-After becomes unavailable with the delay")
    func requestShapeAndRefusal() async throws {
        let server = try HostileHTTPServer { _, send in
            let body = #"{"error":{"code":"server.unavailable","message":"out of descriptors"}}"#
            _ = send(Array("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        }
        let client = SyncClient(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, token: "secret-token")
        do {
            _ = try await client.push(ops("dev-a", 2), device: "dev-a")
            Issue.record("a 503 was taken as success")
        } catch {
            #expect(error.reason == .unavailable, "\(error)")
            #expect(error.detail == "7")
            #expect(error.message.contains("out of descriptors"), "\(error)")
        }
        let head = try #require(server.requestHeads.first).lowercased()
        #expect(head.hasPrefix("post /v1/push http/1.1\r\n"), "\(head)")
        #expect(head.contains("authorization: bearer secret-token\r\n"))
        #expect(head.contains("omnisonic-device: dev-a\r\n"))
        #expect(head.contains("content-type: application/json\r\n"))
        #expect(head.contains("host: 127.0.0.1:\(server.port)\r\n"))
        let length = try JSONEncoder().encode(PushRequest(ops: ops("dev-a", 2))).count
        #expect(head.contains("content-length: \(length)\r\n"), "\(head)")
    }

    @Test("Given a sync server speaking HTTPS with a private certificate, then a client trusting it pushes and pulls, and a client that does not is refused before anything is sent")
    func https() async throws {
        let dir = try TemporaryDirectory("sync-client-tls")
        let cert = dir.appending("cert.pem"), key = dir.appending("key.pem")
        _ = try Shell.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                               "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                                               "-addext", "subjectAltName=IP:127.0.0.1"])
        let fixture = try await ServerFixture { $0.tls = try! SyncServerConfiguration.tls(certificate: cert, key: key) }
        defer { Task { await fixture.stop() } }
        let token = try await fixture.device("alice")
        let url = URL(string: "https://127.0.0.1:\(fixture.port)")!
        let trusting = SyncClient(baseURL: url, token: token, trustedCertificates: cert)
        #expect(try await trusting.push(ops("dev-a", 3), device: "dev-a").accepted == 3)
        let pulled = try await trusting.pull(after: 0)
        #expect(pulled.ops.count == 3 && pulled.cursor == 3)
        await #expect(throws: SyncError.self) { _ = try await SyncClient(baseURL: url, token: token).pull(after: 0) }
        #expect(try await fixture.storage.totals().operations == 3)
    }

    @Test("Given a server that answers nothing, then a request fails after its timeout; and cancelling a waiting pull ends it at once")
    func timeoutAndCancel() async throws {
        let server = try HostileHTTPServer { _, _ in Thread.sleep(forTimeInterval: 600) }
        let url = URL(string: "http://127.0.0.1:\(server.port)")!
        let clock = ContinuousClock()
        var start = clock.now
        let connector = HTTPConnector(secure: false, trustedCertificates: nil)
        let result = await connector.exchange(.init(method: .GET, url: url.appendingPathComponent("v1/pull"), headers: [], body: nil, timeout: 1),
                                              into: Transfer(mode: .collect(maxBytes: 1024)))
        guard case .failure(let error) = result else { Issue.record("a silent server answered: \(result)"); return }
        #expect(error.reason == .unavailable && error.detail.contains("timeout"), "\(error)")
        // Long before the server's 600 s answer. Not a timing assertion: in the full suite other
        // tests can hold the two-thread pool that resumes this task for a long time (74.5 s once;
        // the quickest tests wait up to 69 s for a thread at the start, decision 0041).
        #expect(clock.now - start < .seconds(300))

        start = clock.now
        let client = SyncClient(baseURL: url, token: "t")
        let pull = Task { try await client.pull(after: 0, wait: 25) }
        try await Task.sleep(for: .milliseconds(300))
        pull.cancel()
        // Ended by the cancellation, not by its 40 s timeout (25 s wait + 15 s) nor the server:
        // the error says which, so no time bound has to tell them apart.
        let cancelled = await #expect(throws: SyncError.self) { _ = try await pull.value }
        #expect(cancelled?.detail.contains("cancelled") == true, "\(String(describing: cancelled))")
        #expect(clock.now - start < .seconds(300))
    }
}
