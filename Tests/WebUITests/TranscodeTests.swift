import Foundation
import Indexer
import LocalStore
import OmniModel
import Testing
import TestSupport
@testable import WebUI

/// Transcoded streams, scaled artwork and lyrics over the real HTTP server (issue 13's media).
@Suite("Transcoding, artwork sizes and lyrics")
struct TranscodeTests {
    /// A library with one 12 s stereo FLAC (a sweep, a tone and noise: encoders use their whole
    /// bit rate on it) besides the corpus.
    static func fixture() throws -> (LibraryFixture, TrackRecord) {
        let fixture = try LibraryFixture()
        try Shell.ffmpeg(["-f", "lavfi", "-i", "aevalsrc=0.4*sin(2*PI*(220+100*t)*t)|0.4*sin(2*PI*330*t):s=44100:d=12",
                          "-f", "lavfi", "-i", "anoisesrc=a=0.15:d=12:r=44100",
                          "-filter_complex", "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0",
                          "-c:a", "flac", fixture.music + "/long.flac"])
        try fixture.scan()
        let record = try #require(try fixture.allTracks().first { $0.path == "long.flac" })
        return (fixture, record)
    }

    /// The stream's codec (ffprobe) and its decoded length in seconds (ffmpeg to raw samples:
    /// exact, unlike a duration estimated from ADTS headers).
    static func probe(_ bytes: [UInt8], ext: String, in dir: TemporaryDirectory) throws -> (codec: String, seconds: Double, bitRate: Int?) {
        let path = dir.appending("probe-\(UUID().uuidString.prefix(6)).\(ext)")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let json = try Shell.run(Shell.which("ffprobe") ?? "/usr/bin/ffprobe",
                                 ["-v", "error", "-show_entries", "stream=codec_name,bit_rate", "-of", "json", path])
        let streams = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["streams"] as? [[String: Any]])
        let raw = path + ".raw"
        try Shell.ffmpeg(["-i", path, "-f", "s16le", "-ac", "1", "-ar", "48000", raw])
        let size = try FileManager.default.attributesOfItem(atPath: raw)[.size] as? Int ?? 0
        return (streams.first?["codec_name"] as? String ?? "", Double(size) / 2 / 48_000,
                (streams.first?["bit_rate"] as? String).flatMap(Int.init))
    }

    @Test("Given a 12 s FLAC, when streamed as mp3, opus and aac at a bit rate, then ffprobe reads the asked codec at about that rate, the whole length, as it was sent (chunked)")
    func formats() async throws {
        let (fixture, record) = try Self.fixture()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        for (format, rate, codec, type) in [("mp3", 96, "mp3", "audio/mpeg"), ("opus", 64, "opus", "audio/ogg"), ("aac", 128, "aac", "audio/aac")] {
            let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream?format=\(format)&maxBitRate=\(rate)")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"]?.hasPrefix(type) == true)
            #expect(reply.headers["transfer-encoding"]?.lowercased() == "chunked")
            #expect(reply.headers["x-transcode-cache"] == "miss")
            let probed = try Self.probe(reply.body, ext: format, in: fixture.dir)
            #expect(probed.codec == codec)
            #expect(abs(probed.seconds - 12) < 0.1, "\(format): \(probed.seconds) s")
            let measured = Double(reply.body.count) * 8 / 12 / 1000
            #expect(measured > Double(rate) * 0.75 && measured < Double(rate) * 1.25, "\(format): \(measured) kbit/s for \(rate)")
            if format == "mp3" { #expect(probed.bitRate == rate * 1000) }
        }
    }

    @Test("Given a 12 s track, when streamed from timeOffset 8, then 4 s are sent, and the variant with an offset is never cached")
    func timeOffset() async throws {
        let (fixture, record) = try Self.fixture()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        for _ in 0..<2 {
            let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream?format=opus&timeOffset=8")
            #expect(reply.status == 200)
            #expect(reply.headers["x-transcode-cache"] == "miss")
            #expect(reply.headers["x-content-duration"] == "4.000")
            let probed = try Self.probe(reply.body, ext: "opus", in: fixture.dir)
            #expect(abs(probed.seconds - 4) < 0.06, "\(probed.seconds) s")
        }
    }

    @Test("Given a variant streamed once from the start, when asked again, then it is read from the cache: same bytes, exact Content-Length; a changed bit rate is a new variant")
    func cache() async throws {
        let (fixture, record) = try Self.fixture()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let target = "/api/tracks/\(record.uid.rawValue)/stream?format=mp3&maxBitRate=128"
        let first = try await server.http.get(target)
        #expect(first.headers["x-transcode-cache"] == "miss")
        let second = try await server.http.get(target)
        #expect(second.status == 200)
        #expect(second.headers["x-transcode-cache"] == "hit")
        #expect(second.headers["content-length"] == String(first.body.count))
        #expect(second.body == first.body)
        let folder = (fixture.artwork.directory as NSString).deletingLastPathComponent + "/transcode"
        let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(entries.filter { $0.hasSuffix(".mp3") }.count == 1)
        #expect(!entries.contains { $0.hasSuffix(".partial") })
        let other = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream?format=mp3&maxBitRate=96")
        #expect(other.headers["x-transcode-cache"] == "miss")
    }

    @Test("Given a track whose file became garbage, when transcoded, then 422 with MediaIO's code and message; bad parameters are 400")
    func errors() async throws {
        let (fixture, record) = try Self.fixture()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        for query in ["format=wma", "format=mp3&timeOffset=-1", "format=mp3&timeOffset=abc", "format=mp3&maxBitRate=x"] {
            let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream?\(query)")
            #expect(reply.status == 400, "\(query)")
        }
        try Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: URL(fileURLWithPath: fixture.music + "/long.flac"))
        let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/stream?format=mp3")
        #expect(reply.status == 422)
        let error = try #require(try reply.json()["error"] as? [String: Any])
        // Content probing finds either no demuxer or one with no audio in these bytes.
        #expect(["media.unsupported_format", "media.no_audio_stream"].contains(error["code"] as? String ?? ""))
        #expect((error["message"] as? String)?.contains("long.flac") == true)
    }

    @Test("Given a track with artwork, when asked at size 32 (corpus covers are 64-128 px), then a picture whose longer side is 32 px, kept under artwork/sizes/32 and sent from there again; sizes outside 16...2048 are 400")
    func artworkSizes() async throws {
        let fixture = try LibraryFixture()
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let record = try #require(try fixture.allTracks().first { (try? fixture.library.trackArtwork(uid: $0.uid)) != nil })
        let artwork = try #require(try fixture.library.trackArtwork(uid: record.uid))
        let target = "/api/tracks/\(record.uid.rawValue)/artwork?size=32"
        let first = try await server.http.get(target)
        #expect(first.status == 200)
        #expect(first.headers["content-type"] == "image/jpeg" || first.headers["content-type"] == "image/png")
        let path = fixture.dir.appending("scaled-32")
        try Data(first.body).write(to: URL(fileURLWithPath: path))
        let size = try Shell.run(Shell.which("ffprobe") ?? "/usr/bin/ffprobe",
                                 ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path])
        let sides = size.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
        #expect(sides.count == 2 && sides.max() == 32, "\(size)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: fixture.artwork.directory + "/sizes/32")
        #expect(kept.contains { $0.hasPrefix(artwork.hash) })
        let second = try await server.http.get(target)
        #expect(second.body == first.body)
        #expect(second.headers["etag"] == "\"\(artwork.hash)-32\"")
        let notModified = try await server.http.get(target, headers: [("If-None-Match", "\"\(artwork.hash)-32\"")])
        #expect(notModified.status == 304)
        for bad in ["5", "4096", "abc"] {
            #expect(try await server.http.get("/api/tracks/\(record.uid.rawValue)/artwork?size=\(bad)").status == 400, "\(bad)")
        }
    }

    @Test("Given a track with an .lrc file beside it, when its lyrics are asked, then the synced lines come with their times and the plain text")
    func lyrics() async throws {
        let (fixture, record) = try Self.fixture()
        try Data("[offset:-250]\n[00:01.00]One\n[00:02.50]Two\n".utf8).write(to: URL(fileURLWithPath: fixture.music + "/long.lrc"))
        let server = try await RunningServer.start(fixture)
        defer { Task { await server.stop() } }
        let reply = try await server.http.get("/api/tracks/\(record.uid.rawValue)/lyrics")
        #expect(reply.status == 200)
        let json = try reply.json()
        let lyrics = try #require(json["lyrics"] as? [[String: Any]])
        #expect(lyrics.count == 1)
        #expect(lyrics.first?["source"] as? String == "lrc")
        #expect(lyrics.first?["synced"] as? Bool == true)
        #expect(lyrics.first?["offsetMs"] as? Int == -250)
        #expect(lyrics.first?["text"] as? String == "One\nTwo")
        let lines = try #require(lyrics.first?["lines"] as? [[String: Any]])
        #expect(lines.map { $0["startMs"] as? Int } == [1250, 2750])
        let other = try #require(try fixture.allTracks().first { $0.path != "long.flac" })
        let none = try await server.http.get("/api/tracks/\(other.uid.rawValue)/lyrics")
        #expect(none.status == 200)
        #expect((try none.json()["lyrics"] as? [Any])?.isEmpty == true)
    }
}
