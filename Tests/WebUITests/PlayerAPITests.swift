import Foundation
import LocalStore
import Logging
import OmniModel
import Player
import Testing
import TestSupport
@testable import WebUI

/// The player's routes against a real server on port 0, a real player and ALSA's `file` plugin.
@Suite("Player API")
struct PlayerAPITests {
    struct Setup {
        let fixture: LibraryFixture
        let server: RunningServer
        let player: Player
        let capture: String
    }

    static func start() async throws -> Setup {
        let fixture = try LibraryFixture(tracks: 6)
        let capture = fixture.dir.appending("out.raw")
        let events = EventHub()
        let player = Player(library: fixture.library, configuration: PlayerConfiguration(
            output: "capture", alsaConfiguration: """
                pcm.capture { type file slave.pcm { type null } file "\(capture)" format "raw" }
                pcm.elsewhere { type null }
                """), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            publish: { event in Task { await events.publish(event) } })
        player.start()
        let server = try await RunningServer.start(fixture, events: events, player: player)
        return Setup(fixture: fixture, server: server, player: player, capture: capture)
    }

    static func stop(_ setup: Setup) async {
        await setup.server.stop()
        await setup.player.shutdown()
    }

    @Test("Given an empty queue, when GET /api/player, then every documented key is there: stopped, no track, the device")
    func emptyState() async throws {
        let setup = try await Self.start()
        let reply = try await setup.server.http.get("/api/player")
        await Self.stop(setup)
        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["state"] as? String == "stopped")
        #expect(json["track"] is NSNull)
        #expect(json["error"] is NSNull)
        #expect((json["queue"] as? [Any])?.isEmpty == true)
        #expect(json["volume"] as? Int == 100)
        #expect(json["repeat"] as? String == "off")
        #expect((json["output"] as? [String: Any])?["device"] as? String == "capture")
        for key in ["positionMs", "durationMs", "shuffle", "consume", "index", "underruns"] { #expect(json[key] != nil, "missing \(key)") }
    }

    @Test("Given tracks, when queued with play, then the player plays them to the end, writes frames, publishes events, and counts the plays")
    func queueAndPlay() async throws {
        let setup = try await Self.start()
        let uids = try setup.fixture.allTracks().prefix(2).map(\.uid.rawValue)
        let stream = try await setup.server.http.open("/api/events")
        _ = try await stream.read(until: ": connected")
        let reply = try await setup.server.http.json("POST", "/api/player/queue", ["uids": uids, "play": true])
        #expect(reply.status == 200)
        #expect((try reply.json()["queue"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } == uids)
        let event = try await stream.read(until: "event: player")
        #expect(event.contains("\"type\":\"player\""))
        var state: [String: Any] = [:]
        _ = try await eventually {
            state = try await setup.server.http.get("/api/player").json()
            return state["state"] as? String == "stopped" && state["index"] is NSNull
        }
        #expect(state["state"] as? String == "stopped")
        #expect(state["error"] is NSNull)
        setup.player.flushStore()
        let played = try setup.fixture.library.userState(uid: TrackUID(rawValue: uids[0])).playCount
        let metrics = try await setup.server.http.get("/metrics")
        await Self.stop(setup)
        #expect(played == 1)
        let size = (try? FileManager.default.attributesOfItem(atPath: setup.capture)[.size] as? Int) ?? 0
        #expect(size > 0)
        #expect(metrics.text.contains("omnisonic_player_underruns"))
    }

    @Test("Given a queue, when moving, removing, setting modes and clearing over HTTP, then the state follows")
    func queueEdits() async throws {
        let setup = try await Self.start()
        let http = setup.server.http
        let uids = try setup.fixture.allTracks().prefix(3).map(\.uid.rawValue)
        _ = try await http.json("POST", "/api/player/queue", ["uids": uids])
        var json = try await http.json("POST", "/api/player/queue/0/move", ["index": 2]).json()
        #expect((json["queue"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } == [uids[1], uids[2], uids[0]])
        json = try await http.send("DELETE", "/api/player/queue/1").json()
        #expect((json["queue"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } == [uids[1], uids[0]])
        json = try await http.json("POST", "/api/player/mode", ["repeat": "all", "shuffle": true, "consume": true]).json()
        #expect(json["repeat"] as? String == "all")
        #expect(json["shuffle"] as? Bool == true)
        #expect(json["consume"] as? Bool == true)
        json = try await http.json("POST", "/api/player/volume", ["percent": 40]).json()
        #expect(json["volume"] as? Int == 40)
        json = try await http.send("DELETE", "/api/player/queue").json()
        #expect((json["queue"] as? [Any])?.isEmpty == true)
        await Self.stop(setup)
    }

    @Test("Given bad requests, when sent, then 404 for unknown tracks and entries, 400 for out-of-range values, never 5xx")
    func badRequests() async throws {
        let setup = try await Self.start()
        let http = setup.server.http
        let unknown = try await http.json("POST", "/api/player/queue", ["uids": ["nosuchtrack"]])
        #expect(unknown.status == 404)
        #expect(unknown.errorCode == "not_found")
        #expect(try await http.json("POST", "/api/player/play", ["index": 7]).status == 404)
        #expect(try await http.send("DELETE", "/api/player/queue/3").status == 404)
        #expect(try await http.json("POST", "/api/player/volume", ["percent": 101]).status == 400)
        #expect(try await http.json("POST", "/api/player/seek", ["positionMs": -1]).status == 400)
        #expect(try await http.json("POST", "/api/player/queue", ["replace": true]).status == 400)
        #expect(try await http.json("POST", "/api/player/mode", ["repeat": "sometimes"]).status == 400)
        #expect(try await http.json("POST", "/api/player/queue", ["playlist": "nope"]).status == 404)
        // No body resumes (nothing queued: stays stopped).
        let play = try await http.send("POST", "/api/player/play")
        #expect(play.status == 200)
        #expect(try play.json()["state"] as? String == "stopped")
        await Self.stop(setup)
    }

    @Test("Given the player on capture, when GET /api/player/outputs and POST /api/player/output, then the list holds default and capture, the state names the new device, and bad names are 400")
    func outputSelection() async throws {
        let setup = try await Self.start()
        let http = setup.server.http
        let listed = try await http.get("/api/player/outputs")
        #expect(listed.status == 200)
        let list = try listed.json()
        let names = (list["outputs"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(names.contains("default") && names.contains("capture"), "\(names)")
        #expect((list["outputs"] as? [[String: Any]])?.allSatisfy { $0["description"] is String } == true)
        #expect(list["current"] as? String == "capture")
        let switched = try await http.json("POST", "/api/player/output", ["device": "elsewhere"])
        #expect(switched.status == 200)
        #expect((try switched.json()["output"] as? [String: Any])?["device"] as? String == "elsewhere")
        #expect(try await http.get("/api/player/outputs").json()["current"] as? String == "elsewhere")
        for bad: Any in ["", String(repeating: "x", count: 201), "a\u{1}b", 5, NSNull()] {
            #expect(try await http.json("POST", "/api/player/output", ["device": bad]).status == 400, "\(bad)")
        }
        #expect(try await http.json("POST", "/api/player/output", [String: Any]()).status == 400)
        #expect(setup.player.status().output.device == "elsewhere")
        await Self.stop(setup)
    }

    @Test("Given the player, when POST /api/player/output names a command, a file or ALSA configuration text, then it is 400 device_refused, the device stays, and no file appears")
    func hostileOutputsAreRefused() async throws {
        let setup = try await Self.start()
        let http = setup.server.http
        let dir = setup.fixture.dir
        let hostile = [
            "file:'|id > \(dir.appending("ran"))'",
            "file:'\(dir.appending("victim"))',raw",
            "capture:{type file slave.pcm null file \"\(dir.appending("text"))\"}",
            "{type file slave.pcm null file \"\(dir.appending("text"))\"}",
            "hw:99,0", "capturex",
        ]
        for device in hostile {
            let answer = try await http.json("POST", "/api/player/output", ["device": device])
            #expect(answer.status == 400, "\(device): \(answer.body)")
            let error = try answer.json()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "device_refused", "\(device)")
            #expect((error?["message"] as? String)?.contains("configuration") == true)
        }
        #expect(setup.player.status().output.device == "capture")
        // Playing after the refusals goes to the configured device and creates none of the files.
        let uid = try #require(try setup.fixture.allTracks().first?.uid)
        #expect(try await http.json("POST", "/api/player/queue", ["uids": [uid.rawValue], "play": true]).status == 200)
        _ = await eventually { setup.player.status().state == .stopped && setup.player.status().currentIndex == nil }
        #expect(setup.player.status().error == nil)
        await Self.stop(setup)
        for name in ["ran", "victim", "text"] {
            #expect(!FileManager.default.fileExists(atPath: dir.appending(name)), "\(name) was created")
        }
        #expect(((try? FileManager.default.attributesOfItem(atPath: setup.capture)[.size] as? Int) ?? 0) > 0)
    }
}
