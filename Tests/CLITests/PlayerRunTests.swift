import Foundation
import Testing
import TestSupport

/// The player inside `omnisonicd run`: configured by flags, driven over HTTP, heard through
/// ALSA's `file` plugin (a private ALSA configuration given by `ALSA_CONFIG_PATH`).
@Suite("omnisonicd run plays", .serialized)
struct PlayerRunTests {
    @Test("Given run with --output naming a file-plugin device, when a track is queued and played over HTTP, then frames are written, and the queue is there after a restart")
    func playsAndKeepsTheQueue() throws {
        let corpus = try Corpus.shared(tracks: 6)
        let dir = try TemporaryDirectory("run-player")
        let capture = dir.appending("out.raw")
        let alsa = dir.appending("asound.conf")
        try """
            pcm.capture {
                type file
                slave.pcm { type null }
                file "\(capture)"
                format "raw"
            }
            """.write(toFile: alsa, atomically: true, encoding: .utf8)
        let arguments = ["--music", corpus.root, "--data", dir.appending("data"), "--listen", "127.0.0.1:0",
                         "--output", "capture", "--replaygain", "track"]
        let environment = ["XDG_DATA_HOME": dir.appending("xdg"), "ALSA_CONFIG_PATH": alsa]
        var daemon = try RunningDaemon(arguments, environment: environment)
        var port = try daemon.waitForPort()

        var uid: String?
        _ = try eventuallyBlocking {
            let tracks = try HTTP.request(port: port, path: "/api/search?q=&limit=10").json()["tracks"] as? [[String: Any]]
            uid = tracks?.first?["uid"] as? String
            return uid != nil
        }
        let track = try #require(uid)
        let body = try JSONSerialization.data(withJSONObject: ["uids": [track], "play": true])
        let queued = try HTTP.request("POST", port: port, path: "/api/player/queue",
                                      headers: ["Content-Type": "application/json"], body: Array(body))
        #expect(queued.status == 200, "\(queued.body)")

        var state: [String: Any] = [:]
        _ = try eventuallyBlocking {
            state = try HTTP.request(port: port, path: "/api/player").json()
            return state["state"] as? String == "stopped" && state["index"] is NSNull
        }
        #expect(state["state"] as? String == "stopped")
        #expect(state["error"] is NSNull, "\(state["error"] ?? "")")
        #expect((state["output"] as? [String: Any])?["device"] as? String == "capture")
        let written = (try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0
        #expect(written > 0)
        var (status, _) = daemon.stop()
        #expect(status == 0, "\(daemon.stderr.suffix(2000))")

        // The queue is in the library: a new process finds it.
        daemon = try RunningDaemon(arguments, environment: environment)
        port = try daemon.waitForPort()
        let restored = try HTTP.request(port: port, path: "/api/player").json()
        #expect((restored["queue"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } == [track])
        (status, _) = daemon.stop()
        #expect(status == 0)
    }

    @Test("a bad --replaygain stops run at once with exit 2 and a message naming it")
    func badReplayGain() throws {
        let dir = try TemporaryDirectory("run-player-bad")
        let output = try Binary.run(["run", "--music", dir.path, "--data", dir.appending("data"), "--replaygain", "loud"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--replaygain"))
    }
}
