import Foundation
import LocalStore
import Logging
import OmniModel
import Player
import Testing
import TestSupport
@testable import WebUI

/// Schedules through the API and the scheduler, with a real library, a real player on ALSA's
/// `file` plugin and an injected clock (`SchedulerClock`); the zone is pinned to Europe/Berlin
/// (spring change 2026-03-29 01:00 UTC, autumn change 2026-10-25 01:00 UTC). Decision 0028.
@Suite("Schedules", .serialized)
struct ScheduleTests {
    static func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static func ms(_ text: String) -> Int64 { Int64(utc(text).timeIntervalSince1970 * 1000) }

    /// A playlist of two tracks; returns its id and tracks.
    static func playlist(_ setup: PlayerAPITests.Setup, name: String = "Morning") throws -> (String, [TrackUID]) {
        let library = setup.fixture.library
        let id = try #require(try library.record(.createPlaylist(name: name)).first?.target)
        let uids = try setup.fixture.allTracks().prefix(2).map(\.uid)
        try library.record(.addToPlaylist(id: id, uids: uids, index: nil))
        return (id, uids)
    }

    static func scheduler(_ setup: PlayerAPITests.Setup) throws -> PlayerScheduler { try #require(setup.server.actions.scheduler) }

    /// A new scheduler over the same library and player: what a restart of the daemon makes.
    static func restarted(_ setup: PlayerAPITests.Setup, at time: Date) -> PlayerScheduler {
        PlayerScheduler(library: setup.fixture.library, player: setup.player, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                        now: { time })
    }

    @Test("Given the API and a clock at 11:00 Berlin, when a one-time 11:30 play is created, then it is listed with its next time, does not fire at 11:00, fires at 11:30 replacing the queue, and its run is listed; bad definitions are refused; edit, pause, resume and delete work")
    func throughTheAPI() async throws {
        let setup = try await PlayerAPITests.start()
        let http = setup.server.http
        let (id, uids) = try Self.playlist(setup)
        setup.server.actions.clock.set(Self.utc("2026-03-28T10:00:00Z"))
        let base: [String: Any] = ["name": "Brunch", "sourceKind": "playlist", "sourceId": id, "time": "11:30", "repeat": "once",
                                   "date": "2026-03-28", "timeZone": "Europe/Berlin"]
        let created = try await http.json("POST", "/api/schedules", base)
        #expect(created.status == 201, "\(created.text)")
        let schedule = try #require(try created.json()["schedule"] as? [String: Any])
        let scheduleID = try #require(schedule["id"] as? String)
        #expect((schedule["next"] as? NSNumber)?.int64Value == Self.ms("2026-03-28T10:30:00Z"))
        #expect(schedule["firesHere"] as? Bool == true)
        #expect(schedule["device"] as? String == (try setup.fixture.library.deviceID()))

        var missing = base; missing["sourceId"] = "nope"
        #expect(try await http.json("POST", "/api/schedules", missing).status == 404)
        var badTime = base; badTime["time"] = "25:00"
        #expect(try await http.json("POST", "/api/schedules", badTime).status == 400)
        var badZone = base; badZone["timeZone"] = "Mars/Olympus"
        #expect(try await http.json("POST", "/api/schedules", badZone).status == 400)
        #expect(try await http.json("POST", "/api/schedules", ["sourceKind": "playlist"]).status == 400)

        let scheduler = try Self.scheduler(setup)
        #expect(scheduler.tick().isEmpty)
        setup.server.actions.clock.set(Self.utc("2026-03-28T10:30:00Z"))
        let fired = scheduler.tick()
        #expect(fired.map(\.outcome) == [.played])
        let state = try await http.get("/api/player").json()
        #expect((state["queue"] as? [[String: Any]])?.compactMap { $0["uid"] as? String } == uids.map(\.rawValue))
        #expect(scheduler.tick().isEmpty)  // once: never again
        let detail = try await http.get("/api/schedules/\(scheduleID)").json()
        let runs = try #require(detail["runs"] as? [[String: Any]])
        #expect(runs.count == 1 && runs.first?["outcome"] as? String == "played")
        #expect((detail["schedule"] as? [String: Any])?["next"] is NSNull)

        // Edited to daily 07:00: the next one is tomorrow 07:00 CEST (after the spring change).
        var daily = base; daily["repeat"] = "daily"; daily["date"] = nil; daily["time"] = "07:00"
        daily.removeValue(forKey: "date")
        let edited = try await http.json("PUT", "/api/schedules/\(scheduleID)", daily)
        #expect(edited.status == 200, "\(edited.text)")
        #expect(((try edited.json()["schedule"] as? [String: Any])?["next"] as? NSNumber)?.int64Value == Self.ms("2026-03-29T05:00:00Z"))
        let paused = try await http.send("POST", "/api/schedules/\(scheduleID)/pause")
        #expect(((try paused.json()["schedule"] as? [String: Any])?["next"]) is NSNull)
        #expect(((try paused.json()["schedule"] as? [String: Any])?["paused"]) as? Bool == true)
        let resumed = try await http.send("POST", "/api/schedules/\(scheduleID)/resume")
        #expect(((try resumed.json()["schedule"] as? [String: Any])?["next"] as? NSNumber)?.int64Value == Self.ms("2026-03-29T05:00:00Z"))
        let listed = try await http.get("/api/schedules").json()
        #expect((listed["schedules"] as? [Any])?.count == 1)
        #expect((listed["runs"] as? [Any])?.count == 1)

        #expect(try await http.send("DELETE", "/api/schedules/\(scheduleID)").status == 204)
        #expect(try await http.send("DELETE", "/api/schedules/\(scheduleID)").status == 404)
        #expect((try await http.get("/api/schedules").json()["schedules"] as? [Any])?.isEmpty == true)
        await PlayerAPITests.stop(setup)
    }

    @Test("Given a daily 07:00 with a 15-minute grace, when the daemon starts 10 minutes late it fires; 30 minutes late it is missed; after a week away the older runs are missed and only a run within the grace fires")
    func missedRuns() async throws {
        let setup = try await PlayerAPITests.start()
        let (id, _) = try Self.playlist(setup)
        let library = setup.fixture.library
        var definition = ScheduleDefinition(sourceKind: .playlist, sourceId: id, time: "07:00", repeats: .daily, timeZone: "Europe/Berlin",
                                            graceMinutes: 15, device: try library.deviceID())
        setup.server.actions.clock.set(Self.utc("2026-05-01T12:00:00Z"))
        let scheduleID = try Self.scheduler(setup).save(id: nil, definition)
        definition = try #require(try library.schedule(id: scheduleID)).definition
        #expect(definition.since == Self.ms("2026-05-01T12:00:00Z"))

        // 2 May 07:10 CEST (05:10 UTC): ten minutes late, within the grace: it fires.
        #expect(Self.restarted(setup, at: Self.utc("2026-05-02T05:10:00Z")).tick().map(\.outcome) == [.played])
        // 3 May 07:30: thirty minutes late: missed.
        let late = Self.restarted(setup, at: Self.utc("2026-05-03T05:30:00Z")).tick()
        #expect(late.map(\.outcome) == [.missed])
        #expect(late.first?.planned == Self.utc("2026-05-03T05:00:00Z"))
        // A week away, back at 07:05 on 10 May: 4-9 May missed, 10 May fires.
        let week = Self.restarted(setup, at: Self.utc("2026-05-10T05:05:00Z")).tick()
        #expect(week.map(\.outcome) == Array(repeating: .missed, count: 6) + [.played])
        // Nothing is handled twice, whatever restarts.
        #expect(Self.restarted(setup, at: Self.utc("2026-05-10T05:06:00Z")).tick().isEmpty)
        let runs = try library.scheduleRuns(scheduleId: scheduleID, limit: 100)
        #expect(runs.count == 9)
        #expect(runs.filter { $0.outcome == .missed }.count == 7)
        await PlayerAPITests.stop(setup)
    }

    @Test("Given a daily 02:30 in Berlin, when the scheduler's clock walks through both DST weeks minute by minute around the changes, then it fires once a day: at 03:00 CEST on the spring day, once at the first 02:30 on the autumn day")
    func daylightSavingWeeks() async throws {
        let setup = try await PlayerAPITests.start()
        let (id, _) = try Self.playlist(setup)
        let library = setup.fixture.library
        let clock = setup.server.actions.clock
        let scheduler = try Self.scheduler(setup)
        for (start, end, expected) in [
            ("2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z", ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]),
            ("2026-10-23T12:00:00Z", "2026-10-27T12:00:00Z", ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"]),
        ] {
            clock.set(Self.utc(start))
            let scheduleID = try scheduler.save(id: nil, ScheduleDefinition(sourceKind: .playlist, sourceId: id, time: "02:30", repeats: .daily,
                                                                             timeZone: "Europe/Berlin", device: try library.deviceID()))
            var fired: [Date] = []
            var time = Self.utc(start)
            // Every half hour, and every 2 minutes between 00:00 and 02:00 UTC (where the runs and the changes are).
            while time <= Self.utc(end) {
                clock.set(time)
                fired += scheduler.tick().filter { $0.scheduleId == scheduleID && $0.outcome == .played }.map(\.planned)
                let hour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: time).hour!
                time = time.addingTimeInterval(hour < 2 ? 120 : 1800)
            }
            #expect(fired == expected.map(Self.utc))
            try scheduler.delete(id: scheduleID)
        }
        await PlayerAPITests.stop(setup)
    }

    @Test("Given a play with a 10-minute fade-in and a 30-minute stop, when it fires, then the volume starts at 0, is halfway at 5 minutes and whole at 10, and playback stops at 30 minutes")
    func fadeInAndSleepTimer() async throws {
        let setup = try await PlayerAPITests.start()
        let (id, _) = try Self.playlist(setup)
        let clock = setup.server.actions.clock
        let scheduler = try Self.scheduler(setup)
        _ = try setup.player.perform(.volume(percent: 80))
        _ = try setup.player.perform(.modes(repeatMode: .all, shuffle: nil, consume: nil))
        clock.set(Self.utc("2026-06-01T05:00:00Z"))
        _ = try scheduler.save(id: nil, ScheduleDefinition(sourceKind: .playlist, sourceId: id, time: "07:01", repeats: .daily,
                                                           timeZone: "Europe/Berlin", fadeInMinutes: 10, stopAfterMinutes: 30,
                                                           device: try setup.fixture.library.deviceID()))
        clock.set(Self.utc("2026-06-01T05:01:00Z"))
        #expect(scheduler.tick().map(\.outcome) == [.played])
        #expect(setup.player.status().volume == 0)
        #expect(setup.player.status().state == .playing)
        clock.set(Self.utc("2026-06-01T05:06:00Z"))
        scheduler.tick()
        #expect(setup.player.status().volume == 40)
        clock.set(Self.utc("2026-06-01T05:11:00Z"))
        scheduler.tick()
        #expect(setup.player.status().volume == 80)
        clock.set(Self.utc("2026-06-01T05:30:00Z"))
        scheduler.tick()
        #expect(setup.player.status().state == .playing)
        clock.set(Self.utc("2026-06-01T05:31:00Z"))
        scheduler.tick()
        #expect(setup.player.status().state == .stopped)
        await PlayerAPITests.stop(setup)
    }

    @Test("Given run() asleep with nothing due, on a clock 1.5 s before 07:00 Berlin that runs in real time, when a daily 07:00 play with a fade-in is saved, then the save wakes it, it fires at 07:00 and raises the volume without a check per half second, and it returns when cancelled")
    func runSleepsUntilDue() async throws {
        let setup = try await PlayerAPITests.start()
        let (id, uids) = try Self.playlist(setup)
        _ = try setup.player.perform(.volume(percent: 80))
        // A clock running in real time: an hour before 07:00 while run() falls asleep, set to
        // 1.5 s before 07:00 just before the save. Set at the save, not at the start: a save
        // that came more than 1.5 s after a start-time setting (a CI run took that long) would
        // be saved after 07:00, and rightly fire only the next day.
        let clock = SchedulerClock()
        clock.run(from: Self.utc("2026-06-01T03:59:58Z").addingTimeInterval(0.5))
        // Waits at most an hour (the default): only the save's operation-log change and the
        // due times can wake it within this test.
        let scheduler = PlayerScheduler(library: setup.fixture.library, player: setup.player,
                                        logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                                        now: { clock.now })
        let running = Task { await scheduler.run() }
        try await Task.sleep(nanoseconds: 500_000_000)  // asleep, with no schedule
        let device = try setup.fixture.library.deviceID()
        clock.run(from: Self.utc("2026-06-01T04:59:58Z").addingTimeInterval(0.5))
        let scheduleID = try scheduler.save(id: nil, ScheduleDefinition(sourceKind: .playlist, sourceId: id, time: "07:00", repeats: .daily,
                                                                        timeZone: "Europe/Berlin", fadeInMinutes: 1, device: device))
        let library = setup.fixture.library
        // The shared deadline: how soon run() wakes is not what is asserted. A late wake still
        // plays (15 minutes' grace), and the fade is reckoned from 07:00, so both conditions
        // below hold whenever it wakes.
        #expect(try await eventually { try library.scheduleRuns(scheduleId: scheduleID, limit: 5).map(\.outcome) == [.played] })
        // The playlist is what the player took. Not its state: the test device takes samples
        // faster than real time, so the two short tracks may be over by now (a CI run saw it).
        #expect(setup.player.status().queue.map(\.uid) == uids)
        // Fading to 80 over 60 s: a step every 0.75 s, each one a due time of its own.
        #expect(await eventually { setup.player.status().volume >= 2 })
        running.cancel()
        await running.value
        await PlayerAPITests.stop(setup)
    }

    @Test("Given schedules for another device, a deleted playlist, an empty one, a paused one and a stop timer, then only this device's fire; the failures are recorded with their reasons; the paused one neither fires nor is missed; the stop timer stops playback")
    func whatFiresAndWhy() async throws {
        let setup = try await PlayerAPITests.start()
        let library = setup.fixture.library
        let (id, _) = try Self.playlist(setup)
        let (gone, _) = try Self.playlist(setup, name: "Gone")
        let empty = try #require(try library.record(.createPlaylist(name: "Empty")).first?.target)
        let clock = setup.server.actions.clock
        let scheduler = try Self.scheduler(setup)
        clock.set(Self.utc("2026-06-01T05:00:00Z"))
        let here = try library.deviceID()
        func play(_ source: String, _ device: String, paused: Bool) -> ScheduleDefinition {
            ScheduleDefinition(sourceKind: .playlist, sourceId: source, time: "08:00", repeats: .daily, timeZone: "Europe/Berlin", paused: paused, device: device)
        }
        let elsewhere = try scheduler.save(id: nil, play(id, "0123456789abcdef", paused: false))
        let deleted = try scheduler.save(id: nil, play(gone, here, paused: false))
        try library.record(.deletePlaylist(id: gone))
        let nothing = try scheduler.save(id: nil, play(empty, here, paused: false))
        let paused = try scheduler.save(id: nil, play(id, here, paused: true))
        let stop = try scheduler.save(id: nil, ScheduleDefinition(action: .stop, time: "08:05", repeats: .daily, timeZone: "Europe/Berlin", device: here))

        let listed = try scheduler.list()
        #expect(listed.first { $0.id == elsewhere }?.firesHere == false)
        #expect(listed.first { $0.id == elsewhere }?.next == Self.utc("2026-06-01T06:00:00Z"))
        #expect(listed.first { $0.id == paused }?.next == nil)

        clock.set(Self.utc("2026-06-01T06:00:00Z"))
        let handled = scheduler.tick()
        #expect(Set(handled.map(\.scheduleId)) == [deleted, nothing])
        #expect(handled.first { $0.scheduleId == deleted }?.reason == "the playlist no longer exists")
        #expect(handled.first { $0.scheduleId == nothing }?.reason == "the playlist has no tracks")
        #expect(handled.allSatisfy { $0.outcome == .failed })
        #expect(try library.scheduleRuns(scheduleId: elsewhere).isEmpty)

        _ = try setup.player.perform(.enqueue(.playlist(id), replace: true, index: nil, play: true))
        _ = try setup.player.perform(.modes(repeatMode: .all, shuffle: nil, consume: nil))
        clock.set(Self.utc("2026-06-01T06:05:00Z"))
        #expect(scheduler.tick().map(\.scheduleId) == [stop])
        #expect(setup.player.status().state == .stopped)
        // Resumed a day later: the paused days are not missed.
        clock.set(Self.utc("2026-06-03T05:00:00Z"))
        var resumed = try #require(try library.schedule(id: paused)).definition
        resumed.paused = false
        _ = try scheduler.save(id: paused, resumed)
        #expect(scheduler.tick().filter { $0.scheduleId == paused }.isEmpty)
        await PlayerAPITests.stop(setup)
    }

    @Test("Given a one-time play saved by the old player schedule (playerSchedule), when the scheduler starts, then it becomes a one-time schedule through the one write path, once")
    func legacyPlansAreConverted() async throws {
        let setup = try await PlayerAPITests.start()
        let library = setup.fixture.library
        let (id, _) = try Self.playlist(setup)
        try library.addPlayerSchedule(PlayerSchedule(id: "old", at: Self.utc("2030-01-02T03:04:30Z").timeIntervalSince1970, playlist: id))
        let scheduler = Self.restarted(setup, at: Self.utc("2029-12-31T00:00:00Z"))
        let listed = try scheduler.list()
        #expect(listed.count == 1)
        #expect(listed.first?.next == Self.utc("2030-01-02T03:05:00Z"))
        #expect(listed.first?.definition.sourceId == id)
        #expect(try library.playerSchedules().isEmpty)
        #expect(try library.operations(after: 0, limit: 10_000).contains { $0.operation.kind == .scheduleSave })
        _ = Self.restarted(setup, at: Self.utc("2029-12-31T00:00:00Z"))
        #expect(try library.schedules().count == 1)
        await PlayerAPITests.stop(setup)
    }
}
