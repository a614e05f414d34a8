import Foundation
import GRDB
import Glibc
import Testing
import TestSupport

/// Issue 18, as an attacker would try it, against the real binary: a file whose header lies, a
/// file dated 2286, links out of the music folder, a playlist of impossible durations, and output
/// device names that make alsa-lib run a command or write a file.
@Suite("Hostile input on the real binary", .serialized)
struct HostileInputTests {
    /// A music folder with every hostile thing in it, and a folder outside it.
    struct Layout {
        let dir: TemporaryDirectory
        let music: String
        let outside: String
        /// Where the ALSA `file` plugin of the configured device `capture` writes.
        let capture: String
        let alsa: String

        init() throws {
            let corpus = try Corpus.shared(tracks: 120)
            dir = try TemporaryDirectory("hostile")
            music = dir.appending("Music")
            outside = dir.appending("Outside")
            capture = dir.appending("capture.raw")
            alsa = dir.appending("asound.conf")
            let manager = FileManager.default
            for folder in ["Music/Album", "Music/Covered", "Music/Real", "Outside/Album"] {
                try manager.createDirectory(atPath: dir.appending(folder), withIntermediateDirectories: true)
            }
            // Two tracks of two different albums (song, real) and two others (future, behind), all
            // without embedded pictures, so any artwork comes from the folder.
            let plain = corpus.visibleTracks.filter { $0.cover == nil && $0.format == "m4a" }
            let song = try #require(plain.first { $0.tags.album != nil })
            let real = try #require(plain.first { $0.tags.album != nil && $0.tags.album != song.tags.album })
            let others = plain.filter { $0.path != song.path && $0.path != real.path && $0.tags.album != song.tags.album && $0.tags.album != real.tags.album }
            try #require(others.count >= 2)
            let sources = [others[0], song, real, others[1]].map { corpus.root + "/" + $0.path }
            try manager.copyItem(atPath: sources[0], toPath: music + "/Album/future.m4a")
            let touched = try Shell.capture("/usr/bin/touch", ["-d", "2286-01-01 00:00:00", music + "/Album/future.m4a"])
            try #require(touched.status == 0, "\(touched.stderr)")
            try HostileFiles.rf64().write(to: URL(fileURLWithPath: music + "/Album/huge.wav"))
            // A real folder whose cover is a link to a picture outside the music folder.
            try manager.copyItem(atPath: sources[1], toPath: music + "/Covered/song.m4a")
            try HostileFiles.jpeg.write(to: URL(fileURLWithPath: outside + "/secret.jpg"))
            #expect(symlink(outside + "/secret.jpg", music + "/Covered/cover.jpg") == 0)
            // The control: the same picture, really inside, is served.
            try manager.copyItem(atPath: sources[2], toPath: music + "/Real/real.m4a")
            try HostileFiles.jpeg.write(to: URL(fileURLWithPath: music + "/Real/cover.jpg"))
            // A linked folder outside the music folder.
            try manager.copyItem(atPath: sources[3], toPath: outside + "/Album/behind.m4a")
            #expect(symlink(outside + "/Album", music + "/Linked") == 0)
            try """
                pcm.capture {
                    type file
                    slave.pcm { type null }
                    file "\(capture)"
                    format "raw"
                }
                """.write(toFile: alsa, atomically: true, encoding: .utf8)
        }

        var arguments: [String] {
            ["--music", music, "--data", dir.appending("data"), "--listen", "127.0.0.1:0", "--output", "capture"]
        }
        var environment: [String: String] { ["XDG_DATA_HOME": dir.appending("xdg"), "ALSA_CONFIG_PATH": alsa] }

        /// relPath → (probe error code, mtime) of every file row in the library.
        func files() throws -> [String: (error: String?, mtimeNs: Int64)] {
            let queue = try DatabaseQueue(path: dir.appending("data/library.sqlite"))
            defer { try? queue.close() }
            return try queue.read { db in
                var out: [String: (String?, Int64)] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT relPath, probeErrorCode, mtimeNs FROM file") {
                    out[String(decoding: row[0] as Data, as: UTF8.self)] = (row[1], row[2])
                }
                return out
            }
        }
    }

    static func waitForScan(_ port: Int) throws {
        let done = try eventuallyBlocking {
            let finished = try HTTP.request(port: port, path: "/api/scan").json()["lastFinishedAt"]
            return finished != nil && !(finished is NSNull)
        }
        try #require(done)
    }

    static func post(_ port: Int, _ path: String, json: [String: Any]) throws -> HTTP.Response {
        try HTTP.request("POST", port: port, path: path, headers: ["Content-Type": "application/json"],
                         body: Array(try JSONSerialization.data(withJSONObject: json)))
    }

    @Test("Given an RF64 declaring 2^62 samples, a file dated 2286, links out of the music folder, an M3U of impossible durations and hostile output names, when the daemon scans, watches, imports and restarts, then it keeps running and each is refused or handled with a clear reason")
    func daemonSurvivesHostileInput() throws {
        let layout = try Layout()
        var daemon = try RunningDaemon(layout.arguments, environment: layout.environment)
        var port = try daemon.waitForPort()
        try Self.waitForScan(port)

        // The lying WAV is recorded as failed with its reason; the 2286 file is indexed, its time
        // clamped to the last nanosecond an Int64 holds; nothing behind the outward link is.
        var files = try layout.files()
        #expect(files["Album/huge.wav"]?.error == "media.out_of_range", "\(files) \(daemon.stderr.suffix(2000))")
        #expect(files["Album/future.m4a"]?.error == nil)
        #expect(files["Album/future.m4a"]?.mtimeNs == Int64.max)
        #expect(files.keys.allSatisfy { !$0.hasPrefix("Linked/") }, "\(files.keys)")
        let search = try HTTP.request(port: port, path: "/api/search?q=&limit=10").json()
        let tracks = try #require(search["tracks"] as? [[String: Any]])
        #expect(Set(tracks.compactMap { $0["path"] as? String }) == ["Album/future.m4a", "Covered/song.m4a", "Real/real.m4a"])

        // Artwork: the picture inside is served; the one behind a link out of the folder is not.
        func albumArtwork(_ path: String) throws -> Int {
            let album = try #require(tracks.first { $0["path"] as? String == path }?["albumId"] as? Int)
            return try HTTP.request(port: port, path: "/api/albums/\(album)/artwork").status
        }
        #expect(try albumArtwork("Real/real.m4a") == 200)
        #expect(try albumArtwork("Covered/song.m4a") == 404)

        // A second lying file arrives while watching: recorded, and the daemon goes on.
        try HostileFiles.rf64().write(to: URL(fileURLWithPath: layout.music + "/Album/huge2.wav"))
        #expect(try eventuallyBlocking { try layout.files()["Album/huge2.wav"]?.error == "media.out_of_range" })
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)

        // The playlist: every impossible duration is "no duration"; entries still resolve by name.
        let m3u = HostileFiles.m3u(["/elsewhere/future.m4a", "/elsewhere/song.m4a", "/elsewhere/real.m4a", "/elsewhere/none.m4a",
                                    "/elsewhere/future.m4a", "/elsewhere/song.m4a"])
        let imported = try HTTP.request("POST", port: port, path: "/api/playlists/import?name=hostile",
                                        headers: ["Content-Type": "audio/x-mpegurl"], body: Array(m3u.utf8))
        #expect(imported.status == 201, "\(imported.body)")
        let playlist = try imported.json()
        let items = (playlist["playlist"] as? [String: Any])?["items"] as? [[String: Any]]
        #expect(items?.count == 5, "\(imported.body)")
        #expect(playlist["unresolved"] as? [String] == ["/elsewhere/none.m4a"])

        // Output devices: a command, a file, configuration text are refused before ALSA sees them.
        let victim = layout.dir.appending("victim")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        for device in ["file:'|id > \(layout.dir.appending("ran")); cat >/dev/null'", "file:'\(victim)',raw",
                       "capture:{type file slave.pcm null file \"\(layout.dir.appending("text"))\"}",
                       "{type file slave.pcm null file \"\(layout.dir.appending("text"))\"}"] {
            let answer = try Self.post(port, "/api/player/output", json: ["device": device])
            #expect(answer.status == 400, "\(device): \(answer.body)")
            #expect((try answer.json()["error"] as? [String: Any])?["code"] as? String == "device_refused")
        }
        #expect(try Self.post(port, "/api/player/output", json: ["device": "capture"]).status == 200)
        let uid = try #require(tracks.first?["uid"] as? String)
        #expect(try Self.post(port, "/api/player/queue", json: ["uids": [uid], "play": true]).status == 200)
        #expect(try eventuallyBlocking {
            let state = try HTTP.request(port: port, path: "/api/player").json()
            return state["state"] as? String == "stopped" && state["index"] is NSNull
        })
        #expect(!FileManager.default.fileExists(atPath: layout.dir.appending("ran")))
        #expect(!FileManager.default.fileExists(atPath: layout.dir.appending("text")))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect(((try? FileManager.default.attributesOfItem(atPath: layout.capture)[.size] as? Int) ?? 0) > 0)
        // A seek far past the end is clamped, not a trap.
        #expect(try Self.post(port, "/api/player/seek", json: ["positionMs": 1 << 40]).status == 200)
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)
        #expect(daemon.stop().status == 0, "\(daemon.stderr.suffix(2000))")

        // After a restart, the same files: it starts, finishes its scan and stays up.
        daemon = try RunningDaemon(layout.arguments, environment: layout.environment)
        port = try daemon.waitForPort()
        try Self.waitForScan(port)
        files = try layout.files()
        #expect(files["Album/huge.wav"]?.error == "media.out_of_range")
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)
        #expect(daemon.stop().status == 0, "\(daemon.stderr.suffix(2000))")
    }

    @Test("Given the RF64 and the 2286 file, when probed and scanned from the command line, then probe reports media.out_of_range for the one and reads the other, and scan counts one failure and exits 0")
    func probeAndScanSurvive() throws {
        let layout = try Layout()
        let wav = layout.music + "/Album/huge.wav", future = layout.music + "/Album/future.m4a"
        let probe = try Binary.run(["probe", "--json", wav, future])
        #expect(probe.status == 1, "\(probe.stderr)")
        let lines = probe.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(probe.stdout) \(probe.stderr)")
        let failure = try Binary.object(lines[0])
        #expect((failure["error"] as? [String: Any])?["code"] as? String == "media.out_of_range")
        #expect(((failure["error"] as? [String: Any])?["message"] as? String)?.contains("huge.wav") == true)
        #expect(try Binary.object(lines[1])["uid"] is String)

        let scan = try Binary.run(["scan", "--music", layout.music, "--data", layout.dir.appending("data"), "--json"])
        #expect(scan.status == 0, "\(scan.stderr)")
        let summary = try Binary.object(scan.stdout)
        #expect(summary["failed"] as? Int == 1)
        #expect(summary["added"] as? Int == 3)
    }
}
