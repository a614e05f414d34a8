import Foundation
import LocalStore
import Logging
import OmniModel
import Synchronization

/// Fires the user's schedules on this device: plays a playlist, a saved search or an album at
/// local wall-clock times (once, daily, on chosen weekdays, weekly), fades the volume in, stops
/// playback at a set time, and records every run — played, failed with the reason, or missed —
/// through the one write path, so schedules and their history sync to the user's other devices.
/// Only the schedules whose `device` is this library's device id fire here (decision 0028).
///
/// What is due is computed from the stored state alone, so a restart changes nothing: a
/// schedule resumes after the newest occurrence this device handled (or its `since`). Due
/// occurrences found late (the daemon was not running, the machine slept) fire only when the
/// newest is within the schedule's grace period; the others are recorded as missed (at most
/// the last 20 of each schedule). The rules for times across DST changes are `ScheduleRule`'s.
///
/// Concurrency: `tick()` does the work and blocks (library reads and writes, player commands);
/// `run()` calls it on one thread of its own for as long as it runs, never on the cooperative
/// pool, and in between sleeps until the next thing is due (a schedule's next time, a fade-in's
/// next step, a sleep timer's end) or the operation log changes (a schedule saved, paused or
/// deleted here or merged by sync), so an idle daemon is not woken by its schedules.
/// `save`, `delete` and `list` may be called from any thread. The clock is injected (`now`):
/// tests pass their own, and `omnisonicd run` honours the test-only `OMNISONIC_TEST_CLOCK_FILE`
/// (with `longestWait` 0.5 s, since that clock moves without telling anyone).
public final class PlayerScheduler: Sendable {
    private let library: Library
    private let player: Player
    private let logger: Logger
    /// The scheduler's clock.
    public let now: @Sendable () -> Date
    private let publish: @Sendable (LibraryEvent) -> Void
    /// The longest `run()` sleeps between two checks, whatever is due.
    private let longestWait: TimeInterval
    private let state = Mutex(State())

    private struct State {
        var device: String?
        var fades: [Fade] = []
        var stops: [(at: Date, schedule: String)] = []
    }

    private struct Fade {
        var schedule: String
        var start: Date
        var seconds: Double
        var target: Int
        var last: Int
    }

    /// What one `tick()` did with one occurrence.
    public struct Handled: Sendable, Equatable {
        public var scheduleId: String
        public var planned: Date
        public var outcome: ScheduleRunRecord.Outcome
        public var reason: String?
    }

    /// Most missed runs recorded per schedule at once (a month away records the last 20).
    static let missedLimit = 20

    /// - Parameters:
    ///   - now: the scheduler's clock (tests inject theirs).
    ///   - longestWait: the longest `run()` sleeps between two checks, in seconds. The default
    ///     (an hour) is only a safety net, since the wait ends at the next due time anyway; a clock
    ///     that jumps without the system clock (the test clock file) needs a short one.
    ///   - publish: tells live clients that schedules changed (a run was recorded).
    public init(library: Library, player: Player, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
                longestWait: TimeInterval = 3600, publish: @escaping @Sendable (LibraryEvent) -> Void = { _ in }) {
        self.library = library
        self.player = player
        self.logger = logger
        self.now = now
        self.longestWait = max(0.01, longestWait)
        self.publish = publish
        convertLegacySchedules()
    }

    /// This device's id (read once).
    public func device() throws(StoreError) -> String {
        if let device = state.withLock({ $0.device }) { return device }
        let device = try library.deviceID()
        state.withLock { $0.device = device }
        return device
    }

    // MARK: - Editing (the API's entry points)

    /// Creates (`id` nil) or replaces a schedule through the one write path. Fills in what the
    /// client may leave out — the time zone (this machine's), the device (this one) — and sets
    /// `since` to now, so occurrences before a creation, an edit or a resume are not missed.
    ///
    /// - Returns: the schedule's id.
    /// - Throws: `StoreError` `.invalid` (a bad definition, an unknown zone), `.notFound` (no
    ///   such schedule, playlist, saved search or album).
    public func save(id: String?, _ definition: ScheduleDefinition) throws(StoreError) -> String {
        var definition = definition
        if definition.timeZone.isEmpty { definition.timeZone = TimeZone.current.identifier }
        if definition.device.isEmpty { definition.device = try device() }
        definition.since = Int64((now().timeIntervalSince1970 * 1000).rounded(.down))
        let ops = try library.record(.saveSchedule(id: id, definition))
        publish(.schedulesChanged)
        return ops.first?.target ?? id ?? ""
    }

    /// Deletes a schedule.
    ///
    /// - Throws: `StoreError` `.notFound` when there is none with that id.
    public func delete(id: String) throws(StoreError) {
        try library.record(.deleteSchedule(id: id))
        state.withLock { s in
            s.fades.removeAll { $0.schedule == id }
            s.stops.removeAll { $0.schedule == id }
        }
        publish(.schedulesChanged)
    }

    /// Every schedule with its next time, soonest first (those without one last).
    ///
    /// - Throws: `StoreError` when the library fails.
    public func list() throws(StoreError) -> [ScheduleSummary] {
        let device = try device()
        let time = now()
        var out: [ScheduleSummary] = []
        for stored in try library.schedules() {
            var next: Date?
            if !stored.definition.paused, let zone = TimeZone(identifier: stored.definition.timeZone) {
                let last = try library.lastHandledRun(scheduleId: stored.id, device: stored.definition.device)
                next = ScheduleRule.next(stored.definition, after: max(time, Self.resumeAfter(stored, lastRunMs: last)), in: zone)
            }
            out.append(ScheduleSummary(id: stored.id, definition: stored.definition, next: next, firesHere: stored.definition.device == device))
        }
        return out.sorted { a, b in
            switch (a.next, b.next) {
            case let (x?, y?): return (x, a.id) < (y, b.id)
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a.id < b.id
            }
        }
    }

    // MARK: - Firing

    /// Handles everything due at `now()`: fires or records as missed the due occurrences of
    /// this device's schedules, moves running fade-ins on, and stops playback where a sleep
    /// timer ran out. Blocking; the scheduler's thread (or a test).
    @discardableResult
    public func tick() -> [Handled] {
        let time = now()
        var handled: [Handled] = []
        do throws(StoreError) {
            let device = try device()
            for stored in try library.schedules() where stored.definition.device == device && !stored.definition.paused {
                handled += try handleDue(stored, device: device, at: time)
            }
        } catch {
            logger.error("cannot read the schedules", metadata: ["detail": "\(error.expandedDescription)"])
        }
        advanceFades(at: time)
        runStops(at: time)
        return handled
    }

    /// Fires schedules as they come due until the task is cancelled.
    ///
    /// One thread (`omnisonic-schedule`) for the whole run: it ticks, then sleeps until
    /// `nextCheck` (at most `longestWait`). A commit to the operation log (`Library.
    /// operationLogChanges`: a schedule saved, paused or deleted here, or merged by sync; also
    /// the runs the tick itself records) wakes it early, so a change is seen at once. The sleep
    /// ends at a wall-clock instant (`NSCondition.wait(until:)`, `CLOCK_REALTIME`), so after the
    /// machine slept or the clock was set the due runs are handled (fired or missed) on waking.
    public func run() async {
        let wakeup = Wakeup()
        let library = self.library
        // Starting the observation may wait for the writer: off the cooperative pool.
        let changes = await DedicatedThread.run(named: "omnisonic-schedule") { library.operationLogChanges() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in changes { wakeup.signal() } }
            await withTaskCancellationHandler {
                await DedicatedThread.run(named: "omnisonic-schedule") { [self] in
                    repeat {
                        tick()
                        let time = now()
                        let wait = min(max(nextCheck(after: time).timeIntervalSince(time), 0.01), longestWait)
                        if !wakeup.wait(until: Date().addingTimeInterval(wait)) { return }
                    } while true
                }
            } onCancel: {
                wakeup.stop()
            }
            group.cancelAll()  // ends the observation
        }
    }

    /// When the next check is due after `time`: the soonest of this device's active schedules'
    /// next occurrences, the next whole-percent step of a running fade-in, and the end of a
    /// running sleep timer; `time + longestWait` when nothing is. After a library error, a minute
    /// later (so a failing disk is retried, not spun on). Blocking (library reads).
    func nextCheck(after time: Date) -> Date {
        var soonest = time.addingTimeInterval(longestWait)
        do throws(StoreError) {
            let device = try device()
            for stored in try library.schedules() where stored.definition.device == device && !stored.definition.paused {
                guard let zone = TimeZone(identifier: stored.definition.timeZone) else { continue }
                let last = try library.lastHandledRun(scheduleId: stored.id, device: device)
                if let next = ScheduleRule.next(stored.definition, after: max(time, Self.resumeAfter(stored, lastRunMs: last)), in: zone) {
                    soonest = min(soonest, next)
                }
            }
        } catch {
            soonest = min(soonest, time.addingTimeInterval(60))
        }
        state.withLock { s in
            for fade in s.fades {
                // `advanceFades` sets floor(target × fraction): the next percent comes at
                // fraction (last + 1) / target (1 ms later, against rounding); the end at 1.
                let fraction = fade.target > 0 ? min(1, Double(fade.last + 1) / Double(fade.target)) : 1
                soonest = min(soonest, fade.start.addingTimeInterval(fade.seconds * fraction + 0.001))
            }
            for stop in s.stops { soonest = min(soonest, stop.at) }
        }
        return soonest
    }

    /// Where a schedule resumes: after the newest occurrence handled here, its `since`, or the
    /// time its definition was saved (older clients send no `since`), whichever is latest.
    static func resumeAfter(_ stored: StoredSchedule, lastRunMs: Int64?) -> Date {
        let since = stored.definition.since ?? stored.savedMs
        return Date(timeIntervalSince1970: Double(max(since, lastRunMs ?? 0)) / 1000)
    }

    private func handleDue(_ stored: StoredSchedule, device: String, at time: Date) throws(StoreError) -> [Handled] {
        let definition = stored.definition
        guard let zone = TimeZone(identifier: definition.timeZone) else { return [] }
        let last = try library.lastHandledRun(scheduleId: stored.id, device: device)
        let due = ScheduleRule.occurrences(definition, after: Self.resumeAfter(stored, lastRunMs: last), through: time,
                                           in: zone, limit: Self.missedLimit)
        guard let newest = due.last else { return [] }
        var handled: [Handled] = []
        for planned in due.dropLast() {
            handled.append(record(stored.id, planned: planned, at: time, .missed, reason: nil))
        }
        if time.timeIntervalSince(newest) <= Double(definition.graceMinutes) * 60 {
            let (outcome, reason) = fire(stored, at: time)
            handled.append(record(stored.id, planned: newest, at: time, outcome, reason: reason))
        } else {
            handled.append(record(stored.id, planned: newest, at: time, .missed, reason: nil))
        }
        return handled
    }

    /// Does what the schedule says; returns the outcome and, when it failed, why.
    private func fire(_ stored: StoredSchedule, at time: Date) -> (ScheduleRunRecord.Outcome, String?) {
        let definition = stored.definition
        do throws(PlayerError) {
            switch definition.action {
            case .stop:
                _ = try player.perform(.stop)
                logger.info("scheduled stop", metadata: ["schedule": "\(stored.id)"])
                return (.played, nil)
            case .play:
                guard let source = definition.source else { return (.failed, "the schedule names nothing to play") }
                let tracks: [TrackUID]
                do throws(PlayerError) {
                    tracks = try player.tracks(of: source)
                } catch {
                    if error.reason == .trackMissing { return (.failed, "the \(Self.sourceName(definition)) no longer exists") }
                    throw error
                }
                guard !tracks.isEmpty else { return (.failed, "the \(Self.sourceName(definition)) has no tracks") }
                var target = player.status().volume
                if definition.fadeInMinutes > 0 {
                    if target == 0 { target = 100 }
                    _ = try player.perform(.volume(percent: 0))
                }
                _ = try player.perform(.enqueue(source, replace: true, index: nil, play: true))
                state.withLock { s in
                    s.fades.removeAll { $0.schedule == stored.id }
                    s.stops.removeAll { $0.schedule == stored.id }
                    if definition.fadeInMinutes > 0 {
                        s.fades.append(Fade(schedule: stored.id, start: time, seconds: Double(definition.fadeInMinutes) * 60, target: target, last: 0))
                    }
                    if definition.stopAfterMinutes > 0 {
                        s.stops.append((at: time.addingTimeInterval(Double(definition.stopAfterMinutes) * 60), schedule: stored.id))
                    }
                }
                logger.info("scheduled play started", metadata: ["schedule": "\(stored.id)", "tracks": "\(tracks.count)"])
                return (.played, nil)
            }
        } catch {
            logger.warning("a scheduled play could not start", metadata: ["schedule": "\(stored.id)", "detail": "\(error.expandedDescription)"])
            return (.failed, error.description)
        }
    }

    private static func sourceName(_ definition: ScheduleDefinition) -> String {
        switch definition.sourceKind {
        case .playlist?: "playlist"
        case .savedSearch?: "saved search"
        case .album?: "album"
        case nil: "source"
        }
    }

    private func record(_ id: String, planned: Date, at time: Date, _ outcome: ScheduleRunRecord.Outcome, reason: String?) -> Handled {
        let run = ScheduleRunRecord(plannedMs: Int64((planned.timeIntervalSince1970 * 1000).rounded(.down)),
                                    handledMs: Int64((time.timeIntervalSince1970 * 1000).rounded(.down)),
                                    outcome: outcome, reason: reason.map { String($0.unicodeScalars.prefix(500)) })
        do throws(StoreError) {
            try library.record(.recordScheduleRun(id: id, run))
            publish(.schedulesChanged)
        } catch {
            logger.error("cannot record a schedule's run", metadata: ["schedule": "\(id)", "detail": "\(error.expandedDescription)"])
        }
        if outcome == .missed { logger.info("schedule missed", metadata: ["schedule": "\(id)", "planned": "\(planned)"]) }
        return Handled(scheduleId: id, planned: planned, outcome: outcome, reason: reason)
    }

    /// Raises the volume of running fade-ins in step with the clock (whole percents).
    private func advanceFades(at time: Date) {
        var changes: [Int] = []
        state.withLock { s in
            for index in s.fades.indices.reversed() {
                let fade = s.fades[index]
                let fraction = min(1, max(0, time.timeIntervalSince(fade.start) / fade.seconds))
                let volume = Int((Double(fade.target) * fraction).rounded(.down))
                if volume != fade.last { changes.append(volume); s.fades[index].last = volume }
                if fraction >= 1 { s.fades.remove(at: index) }
            }
        }
        for volume in changes { _ = try? player.perform(.volume(percent: volume)) }
    }

    /// Stops playback where a schedule's "stop after" time has come.
    private func runStops(at time: Date) {
        let due = state.withLock { s -> [String] in
            let due = s.stops.filter { $0.at <= time }.map(\.schedule)
            s.stops.removeAll { $0.at <= time }
            return due
        }
        for id in due {
            _ = try? player.perform(.stop)
            logger.info("scheduled stop after play", metadata: ["schedule": "\(id)"])
        }
    }

    /// One-time plays saved by an older version (`playerSchedule`, device-local) become
    /// one-time schedules of this device through the one write path, once.
    private func convertLegacySchedules() {
        do throws(StoreError) {
            let legacy = try library.playerSchedules()
            guard !legacy.isEmpty else { return }
            let zone = TimeZone.current
            for old in legacy {
                // Rounded up to the minute: it never fires before its time.
                let at = Date(timeIntervalSince1970: (old.at / 60).rounded(.up) * 60)
                let day = ScheduleRule.localDay(of: at, in: zone)
                let local = Int64(at.timeIntervalSince1970) + Int64(zone.secondsFromGMT(for: at)) - day * 86_400
                let time = String(format: "%02d:%02d", Int(local / 3600), Int(local % 3600 / 60))
                var definition = ScheduleDefinition(time: time, repeats: .once, date: ScheduleRule.dateString(day: day),
                                                    timeZone: zone.identifier, device: try device())
                definition.sourceKind = old.playlist != nil ? .playlist : .savedSearch
                definition.sourceId = old.playlist ?? old.savedSearch
                // Saved before now, so one that came due while stopped fires (or is missed) as usual.
                definition.since = Int64(old.at * 1000) - 1
                do throws(StoreError) { try library.record(.saveSchedule(id: nil, definition)) } catch {
                    if error.reason != .notFound { throw error }
                }
                try library.removePlayerSchedule(id: old.id)
            }
        } catch {
            logger.error("cannot convert the old planned plays", metadata: ["detail": "\(error.expandedDescription)"])
        }
    }
}

/// The scheduler thread's sleep: ends at a wall-clock instant, at `signal()` (a signal while
/// it is not sleeping is kept for the next sleep, so none is lost) or at `stop()`.
/// `@unchecked Sendable`: its state is guarded by the condition's lock.
private final class Wakeup: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = false
    private var stopped = false

    func signal() {
        condition.lock()
        pending = true
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// Sleeps until `deadline`, a signal or `stop()`. - Returns: false once stopped.
    func wait(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !pending && !stopped {
            if !condition.wait(until: deadline) { break }
        }
        pending = false
        return !stopped
    }
}
