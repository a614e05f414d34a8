import Foundation
import Testing
@testable import WebUI

/// Saved-search lengths are counted as the OpenAPI document (JSON Schema's maxLength) counts them.
@Suite("Saved search lengths")
struct SavedSearchLengthTests {
    @Test("Given a query of 600 letters with combining accents (1,200 scalars, 600 characters), when saved, then it is refused like any query over 1,000")
    func queryLengthInScalars() async throws {
        let fixture = try LibraryFixture(tracks: 2)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let long = String(repeating: "e\u{301}", count: 600)
        #expect(long.count == 600 && long.unicodeScalars.count == 1200)
        #expect(try await server.http.json("POST", "/api/searches", ["name": "accents", "query": long]).status == 400)
        let fits = String(repeating: "e\u{301}", count: 500)
        #expect(try await server.http.json("POST", "/api/searches", ["name": "accents", "query": fits]).status == 201)
    }
}
