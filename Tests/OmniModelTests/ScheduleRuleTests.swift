import Foundation
import OmniModel
import Testing

/// The recurrence and daylight-saving rules of schedules (decision 0028), with a pinned zone:
/// Europe/Berlin changes on 2026-03-29 (02:00 CET → 03:00 CEST, at 01:00 UTC) and on
/// 2026-10-25 (03:00 CEST → 02:00 CET, at 01:00 UTC).
@Suite("Schedule rules: recurrence and daylight saving")
struct ScheduleRuleTests {
    let berlin = TimeZone(identifier: "Europe/Berlin")!

    func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    func daily(_ time: String, _ repeats: ScheduleDefinition.Repeat = .daily, days: [Int] = [], date: String? = nil) -> ScheduleDefinition {
        ScheduleDefinition(sourceKind: .playlist, sourceId: "p", time: time, repeats: repeats, date: date, days: days,
                           timeZone: "Europe/Berlin", device: "d")
    }

    /// The occurrences in an interval, as UTC ISO strings.
    func fires(_ schedule: ScheduleDefinition, _ from: String, _ to: String) -> [String] {
        let formatter = ISO8601DateFormatter()
        return ScheduleRule.occurrences(schedule, after: utc(from), through: utc(to), in: berlin, limit: 100).map { formatter.string(from: $0) }
    }

    @Test("Given a daily 07:00 in Berlin, when the clocks change in spring and in autumn, then it stays at 07:00 local: 06:00 UTC in winter, 05:00 UTC in summer")
    func dailyStaysOnTheWallClock() {
        #expect(fires(daily("07:00"), "2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z")
                == ["2026-03-28T06:00:00Z", "2026-03-29T05:00:00Z", "2026-03-30T05:00:00Z", "2026-03-31T05:00:00Z"])
        #expect(fires(daily("07:00"), "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z")
                == ["2026-10-24T05:00:00Z", "2026-10-25T06:00:00Z", "2026-10-26T06:00:00Z"])
    }

    @Test("Given a daily 02:30, when spring skips 02:00-03:00, then that day it fires at the next valid minute (03:00 CEST, 01:00 UTC) and on the days around at 02:30")
    func aTimeThatDoesNotExistFiresAtTheNextValidMinute() {
        #expect(fires(daily("02:30"), "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z")
                == ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])
        let jump = ScheduleRule.instant(day: ScheduleRule.day(of: "2026-03-29")!, minutes: 2 * 60 + 30, in: berlin)
        #expect(jump == utc("2026-03-29T01:00:00Z"))
        // 02:00 itself is in the gap too; 03:00 is the jump's own minute.
        #expect(ScheduleRule.instant(day: ScheduleRule.day(of: "2026-03-29")!, minutes: 120, in: berlin) == utc("2026-03-29T01:00:00Z"))
        #expect(ScheduleRule.instant(day: ScheduleRule.day(of: "2026-03-29")!, minutes: 180, in: berlin) == utc("2026-03-29T01:00:00Z"))
    }

    @Test("Given a daily 02:30, when autumn repeats 02:00-03:00, then it fires once that day, at the first 02:30 (CEST, 00:30 UTC)")
    func aTimeThatOccursTwiceFiresOnce() {
        #expect(fires(daily("02:30"), "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z")
                == ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
        // After the first 02:30 has fired, the next one is the next day's, not the second 02:30.
        #expect(ScheduleRule.next(daily("02:30"), after: utc("2026-10-25T00:30:00Z"), in: berlin) == utc("2026-10-26T01:30:00Z"))
    }

    @Test("Given chosen weekdays and a weekly day, then they fire on those ISO weekdays only (2026-03-30 is a Monday)")
    func weekdaysAndWeekly() {
        #expect(ScheduleRule.weekday(day: ScheduleRule.day(of: "2026-03-30")!) == 1)
        #expect(ScheduleRule.weekday(day: ScheduleRule.day(of: "2026-03-29")!) == 7)
        #expect(fires(daily("08:15", .weekdays, days: [1, 3, 5]), "2026-03-29T12:00:00Z", "2026-04-05T12:00:00Z")
                == ["2026-03-30T06:15:00Z", "2026-04-01T06:15:00Z", "2026-04-03T06:15:00Z"])
        #expect(fires(daily("10:00", .weekly, days: [7]), "2026-03-20T12:00:00Z", "2026-04-06T12:00:00Z")
                == ["2026-03-22T09:00:00Z", "2026-03-29T08:00:00Z", "2026-04-05T08:00:00Z"])
    }

    @Test("Given a one-time schedule, then it fires once on its date and has no next time after it")
    func once() {
        let once = daily("23:59", .once, date: "2026-12-31")
        #expect(ScheduleRule.next(once, after: utc("2026-06-01T00:00:00Z"), in: berlin) == utc("2026-12-31T22:59:00Z"))
        #expect(ScheduleRule.next(once, after: utc("2026-12-31T22:59:00Z"), in: berlin) == nil)
        #expect(fires(once, "2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z") == ["2026-12-31T22:59:00Z"])
    }

    @Test("Given a long absence, then only the last `limit` occurrences are listed")
    func occurrencesAreBounded() {
        let all = ScheduleRule.occurrences(daily("07:00"), after: utc("2025-01-01T00:00:00Z"), through: utc("2026-01-01T00:00:00Z"),
                                           in: berlin, limit: 20)
        #expect(all.count == 20)
        #expect(all.last == utc("2025-12-31T06:00:00Z"))
    }

    @Test("Given malformed definitions, then problem() names what is wrong; valid ones pass")
    func validation() {
        #expect(daily("07:00").problem() == nil)
        #expect(daily("24:00").problem() != nil)
        #expect(daily("7:00").problem() != nil)
        #expect(daily("07:00", .once).problem() != nil)  // no date
        #expect(daily("07:00", .once, date: "2026-02-30").problem() != nil)
        #expect(daily("07:00", .weekdays, days: []).problem() != nil)
        #expect(daily("07:00", .weekdays, days: [0]).problem() != nil)
        #expect(daily("07:00", .weekly, days: [1, 2]).problem() != nil)
        var stop = ScheduleDefinition(action: .stop, time: "23:00", repeats: .daily, timeZone: "Europe/Berlin", device: "d")
        #expect(stop.problem() == nil)
        stop.fadeInMinutes = 5
        #expect(stop.problem() != nil)
        var bad = daily("07:00")
        bad.timeZone = "Europe/Berlin; rm"
        #expect(bad.problem() != nil)
        bad = daily("07:00")
        bad.graceMinutes = 2000
        #expect(bad.problem() != nil)
        #expect(ScheduleRule.dateString(day: ScheduleRule.day(of: "2024-02-29")!) == "2024-02-29")
    }
}
