import Foundation
import Testing
@testable import WebUI

@Suite("GET /api/sync")
struct SyncRouteTests {
    let fixture: LibraryFixture
    init() throws { fixture = try LibraryFixture.shared.get() }

    @Test("Given a daemon without a sync server, when GET /api/sync, then it reports sync disabled, disconnected, nothing pending")
    func disabled() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/api/sync")
        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["enabled"] as? Bool == false)
        #expect(json["connected"] as? Bool == false)
        #expect(json["pending"] as? Int == 0)
    }
}
