import Foundation
import Glibc
import Indexer
import LocalStore
import OmniModel
import Testing
@testable import WebUI

/// Streaming with Range, and artwork with ETags.
@Suite("Streaming and artwork")
struct MediaTests {
    let fixture: LibraryFixture

    init() throws { fixture = try LibraryFixture.shared.get() }

    func fileBytes(_ record: TrackRecord) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.music + "/" + record.path)))
    }

    @Test("Given a track, when streamed without Range, then the whole file is sent with Accept-Ranges and its audio type")
    func wholeFile() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        for record in try fixture.allTracks().prefix(12) {
            let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream")
            #expect(reply.status == 200)
            #expect(reply.body == (try fileBytes(record)))
            #expect(reply.headers["accept-ranges"] == "bytes")
            let expected: [String: String] = ["mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg", "wav": "audio/wav"]
            let ext = (record.path as NSString).pathExtension.lowercased()
            if let type = expected[ext] { #expect(reply.headers["content-type"]?.hasPrefix(type) == true, "\(record.path): \(reply.headers["content-type"] ?? "")") }
            if ext == "m4a" { #expect(reply.headers["content-type"] == "audio/mp4") }
            if ext == "opus" { #expect(reply.headers["content-type"]?.hasPrefix("audio/ogg") == true) }
        }
    }

    @Test("Given a track whose file name is not UTF-8, when streamed, then its exact bytes are sent")
    func nonUTF8FileName() async throws {
        let fixture = try LibraryFixture()  // its own copy: this test renames a file
        let record = try #require(try fixture.allTracks().first { !$0.path.contains("/.") })
        let original = try fileBytes(record, in: fixture)
        var name = Array("Caf".utf8)
        name.append(0xE9)  // Latin-1 é: not UTF-8
        name += Array(" moved.\((record.path as NSString).pathExtension)".utf8)
        let target = RawPath(fixture.music).appending(RawPath(bytes: name))
        #expect(RawPath(fixture.music + "/" + record.path).withCString { from in target.withCString { rename(from, $0) } } == 0)
        try fixture.scan()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }

        let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream")

        #expect(reply.status == 200)
        #expect(reply.body == original)
        let ranged = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream", headers: [("Range", "bytes=10-19")])
        #expect(ranged.status == 206)
        #expect(ranged.body == Array(original[10...19]))
    }

    func fileBytes(_ record: TrackRecord, in fixture: LibraryFixture) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.music + "/" + record.path)))
    }

    @Test("Given a track, when byte ranges are asked (first bytes, middle, open end, suffix), then 206 with exactly those bytes and Content-Range")
    func ranges() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first)
        let bytes = try fileBytes(record)
        let size = bytes.count
        let cases: [(String, ClosedRange<Int>)] = [
            ("bytes=0-99", 0...99),
            ("bytes=100-1099", 100...1099),
            ("bytes=\(size - 10)-", (size - 10)...(size - 1)),
            ("bytes=-100", (size - 100)...(size - 1)),
            ("bytes=0-\(size * 2)", 0...(size - 1)),
        ]
        for (header, range) in cases {
            let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream", headers: [("Range", header)])
            #expect(reply.status == 206, "\(header)")
            #expect(reply.body == Array(bytes[range]), "\(header)")
            #expect(reply.headers["content-range"] == "bytes \(range.lowerBound)-\(range.upperBound)/\(size)")
            #expect(reply.headers["content-length"] == String(range.count))
        }
    }

    @Test("Given a track, when HEAD is asked for its stream, then the headers of the whole file come without a body")
    func head() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first)
        let reply = try await server.http.send("HEAD", "/api/tracks/\(record.uid.rawValue)/stream")
        #expect(reply.status == 200)
        #expect(reply.headers["content-length"] == String(try fileBytes(record).count))
        #expect(reply.headers["accept-ranges"] == "bytes")
        #expect(reply.body.isEmpty)
    }

    @Test("Given a track, when a range outside the file is asked, then 416 with Content-Range bytes */size",
          arguments: ["bytes=999999999-", "bytes=-0", "bytes=999999999-999999999"])
    func badRange(_ header: String) async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first)
        let size = try fileBytes(record).count
        let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream", headers: [("Range", header)])
        #expect(reply.status == 416)
        #expect(reply.headers["content-range"] == "bytes */\(size)")
        #expect(reply.errorCode == "bad_range")
    }

    @Test("Given a track, when a malformed Range is sent (another unit, bad syntax, last before first, several ranges), then it is ignored: 200 and the whole file (RFC 9110 §14.2)",
          arguments: ["bytes=5-2", "items=0-1", "bytes=0-1,4-5", "bytes=abc", "bytes=", "bytes=1-x", "bytes=--3"])
    func malformedRangeIsIgnored(_ header: String) async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first)
        let whole = try fileBytes(record)
        let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream", headers: [("Range", header)])
        #expect(reply.status == 200)
        #expect(reply.headers["content-range"] == nil)
        #expect(reply.body == whole)
    }

    @Test("Given a track with artwork, when asked twice with the ETag, then 200 with the image then 304")
    func trackArtworkETag() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first { $0.hasArtwork })
        let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/artwork")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"]?.hasPrefix("image/") == true)
        #expect(reply.headers["cache-control"] != nil)
        let etag = try #require(reply.headers["etag"])
        #expect(!reply.body.isEmpty)
        let again = try await server.http.get("/api/tracks/\(record.uid.rawValue)/artwork", headers: [("If-None-Match", etag)])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        let other = try await server.http.get("/api/tracks/\(record.uid.rawValue)/artwork", headers: [("If-None-Match", "\"nope\"")])
        #expect(other.status == 200)
    }

    @Test("Given an album with artwork, when its artwork is asked, then the image is served; a track without artwork is 404")
    func albumArtwork() async throws {
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let withArt = try #require(try fixture.allTracks().first { $0.hasArtwork && $0.albumId != nil })
        let reply = try await server.http.get("/api/albums/\(withArt.albumId!)/artwork")
        #expect(reply.status == 200)
        #expect(reply.headers["etag"] != nil)
        #expect(try await server.http.get("/api/albums/999999/artwork").status == 404)
        #expect(try await server.http.get("/api/albums/notanumber/artwork").status == 404)
        if let without = try fixture.allTracks().first(where: { !$0.hasArtwork }) {
            #expect(try await server.http.get("/api/tracks/\(without.uid.rawValue)/artwork").status == 404)
        }
    }

    @Test("Given a track whose file is replaced by a symlink out of the music root, when streamed, then 404")
    func symlinkOutOfRoot() async throws {
        let fixture = try LibraryFixture(tracks: 6)
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first)
        let path = fixture.music + "/" + record.path
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/etc/passwd")
        let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream")
        #expect(reply.status == 404)
        #expect(!reply.text.contains("root:"))
    }
}
