import Foundation
import Testing
import TestSupport

/// Schedules and the play history between two daemons of one user and a sync server, all real
/// processes; the daemons' schedulers follow a test clock file (`OMNISONIC_TEST_CLOCK_FILE`).
@Suite("Schedules and play history sync", .serialized)
struct ScheduleSyncTests {
    @Test("Given two daemons of one user, when A makes a daily 07:00 schedule, then B lists it as A's (not firing there); at 07:00 only A fires it and B sees the run; a play on B (client subsonic) is in A's history and statistics with B's device")
    func schedulesFireWhereTheyWereMade() throws {
        let e2e = SyncEndToEndTests()
        let dir = try TemporaryDirectory("schedule-sync")
        let store = try SyncEndToEndTests.Store(.sqlite, dir)
        let (musicA, musicB) = try e2e.musicFolders(dir)
        let tokenA = try store.token(user: "alice"), tokenB = try store.token(user: "alice")
        let server = try store.serve()
        let serverPort = try server.waitForPort()
        let clock = dir.appending("clock")
        try "2026-05-01T04:00:00Z".write(toFile: clock, atomically: true, encoding: .utf8)
        func daemon(_ name: String, _ music: String, _ token: String) throws -> (RunningCommand, Int) {
            let process = try RunningCommand(["run", "--music", music, "--data", dir.appending("data-\(name)"), "--listen", "127.0.0.1:0",
                                              "--sync-url", "http://127.0.0.1:\(serverPort)", "--mpd-listen", "off"],
                                             environment: ["OMNISONIC_SYNC_TOKEN": token, "XDG_DATA_HOME": dir.appending("xdg"),
                                                           "OMNISONIC_TEST_CLOCK_FILE": clock])
            return (process, try process.waitForPort())
        }
        let (daemonA, portA) = try daemon("a", musicA, tokenA)
        let (daemonB, portB) = try daemon("b", musicB, tokenB)
        #expect(try eventuallyBlocking { try e2e.uids(portA).count == 6 && e2e.uids(portB).count == 6 })
        let tracks = try e2e.uids(portA)
        let playlist = try #require(try e2e.json("POST", portA, "/api/playlists", #"{"name":"Wake up"}"#)["id"] as? String)
        _ = try e2e.json("POST", portA, "/api/playlists/\(playlist)/items", #"{"uids":["\#(tracks[0])","\#(tracks[1])"]}"#)
        let created = try e2e.json("POST", portA, "/api/schedules",
                                   #"{"name":"Alarm","sourceKind":"playlist","sourceId":"\#(playlist)","time":"07:00","repeat":"daily","timeZone":"Europe/Berlin","fadeInMinutes":5}"#)
        let schedule = try #require(created["schedule"] as? [String: Any])
        let id = try #require(schedule["id"] as? String)
        let deviceA = try #require(try e2e.get(portA, "/api/schedules")["device"] as? String)
        let deviceB = try #require(try e2e.get(portB, "/api/schedules")["device"] as? String)
        #expect(schedule["device"] as? String == deviceA && deviceA != deviceB)

        // B lists it, as A's.
        func listed(_ port: Int) -> [String: Any]? {
            ((try? e2e.get(port, "/api/schedules"))?["schedules"] as? [[String: Any]])?.first { $0["id"] as? String == id }
        }
        #expect(eventuallyBlocking { listed(portB) != nil }, "\(daemonB.stderr.suffix(1000))")
        #expect(listed(portB)?["firesHere"] as? Bool == false)
        #expect(listed(portB)?["device"] as? String == deviceA)
        #expect(listed(portB)?["fadeInMinutes"] as? Int == 5)

        // 07:00 in Berlin (05:00 UTC): A fires it, B does not; B sees A's run by sync.
        try "2026-05-01T05:00:00Z".write(toFile: clock, atomically: true, encoding: .utf8)
        func runs(_ port: Int) -> [[String: Any]] { ((try? e2e.get(port, "/api/schedules/\(id)"))?["runs"] as? [[String: Any]]) ?? [] }
        #expect(eventuallyBlocking { runs(portA).count == 1 }, "\(daemonA.stderr.suffix(1000))")
        #expect(runs(portA).first?["device"] as? String == deviceA)
        #expect(runs(portA).first?["outcome"] as? String == "played")
        #expect(eventuallyBlocking { runs(portB).count == 1 })
        usleep(1_500_000)  // three ticks of B's scheduler: it still has fired nothing
        #expect(runs(portB).count == 1)
        #expect(runs(portA).count == 1)

        // A play on B, through another client, reaches A's history and statistics.
        _ = try HTTP.request("POST", port: portB, path: "/api/tracks/\(tracks[2])/played?client=subsonic")
        func history(_ port: Int) -> [[String: Any]] { ((try? e2e.get(port, "/api/history"))?["listens"] as? [[String: Any]]) ?? [] }
        #expect(eventuallyBlocking { history(portA).contains { $0["uid"] as? String == tracks[2] } })
        let listen = try #require(history(portA).first { $0["uid"] as? String == tracks[2] })
        #expect(listen["device"] as? String == deviceB)
        #expect(listen["client"] as? String == "subsonic")
        let stats = try e2e.get(portA, "/api/stats?period=week")
        let top = (stats["listening"] as? [String: Any])?["topTracks"] as? [[String: Any]]
        #expect(top?.contains { $0["uid"] as? String == tracks[2] } == true)

        // Deleted on B: gone on A, and A no longer fires it.
        #expect(try HTTP.request("DELETE", port: portB, path: "/api/schedules/\(id)").status == 204)
        #expect(eventuallyBlocking { listed(portA) == nil })
        try "2026-05-02T05:00:00Z".write(toFile: clock, atomically: true, encoding: .utf8)
        usleep(1_500_000)
        // The deleted schedule did not fire: A's recent runs are still the one of 1 May.
        #expect((try e2e.get(portA, "/api/schedules")["runs"] as? [Any])?.count == 1)
        for process in [daemonA, daemonB, server] { process.stop() }
    }
}
