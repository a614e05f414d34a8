import Foundation

/// When a `ScheduleDefinition` fires: pure functions from a definition, a time zone and an
/// instant to instants (decision 0028). No clock is read here; callers pass "now".
///
/// Times are local wall-clock times in the schedule's zone, so a daily 07:00 stays at 07:00
/// across daylight saving changes. On the day a clock jumps:
/// - a time that does not exist (in the gap of a spring-forward change, 02:30 in Berlin on the
///   last Sunday of March) fires at the next valid minute: the instant of the jump (03:00 local);
/// - a time that occurs twice (the repeated hour of a fall-back change) fires once, at the first.
///
/// Local dates are counted as days since 1970-01-01 (proleptic Gregorian), independent of
/// Foundation's calendars, so the arithmetic is exact and the same on every machine.
public enum ScheduleRule {
    /// "HH:MM" (00:00 to 23:59) as minutes after midnight; nil when malformed.
    public static func minutes(of time: String) -> Int? {
        let bytes = Array(time.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"), let h = number(bytes[0..<2]), let m = number(bytes[3..<5]),
              h < 24, m < 60 else { return nil }
        return h * 60 + m
    }

    /// "YYYY-MM-DD" as days since 1970-01-01; nil when malformed or not a real date.
    public static func day(of date: String) -> Int64? {
        let bytes = Array(date.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let y = number(bytes[0..<4]), let m = number(bytes[5..<7]), let d = number(bytes[8..<10]),
              (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y) else { return nil }
        return daysFromCivil(Int64(y), Int64(m), Int64(d))
    }

    /// Days since 1970-01-01 as "YYYY-MM-DD".
    public static func dateString(day: Int64) -> String {
        let (y, m, d) = civil(fromDays: day)
        func pad(_ v: Int64, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// The ISO weekday (1 = Monday ... 7 = Sunday) of a day since 1970-01-01 (a Thursday).
    public static func weekday(day: Int64) -> Int {
        Int(((day + 3) % 7 + 7) % 7) + 1
    }

    /// The local day (since 1970-01-01) that `instant` falls on in `zone`.
    public static func localDay(of instant: Date, in zone: TimeZone) -> Int64 {
        let local = Int64(instant.timeIntervalSince1970.rounded(.down)) + Int64(zone.secondsFromGMT(for: instant))
        return floorDiv(local, 86_400)
    }

    /// The instant wall-clock `minutes` of local `day` happens in `zone`: the only one, the
    /// first of two (a repeated hour), or, in a gap, the instant the clock jumps (the first
    /// valid minute after the time asked for).
    public static func instant(day: Int64, minutes: Int, in zone: TimeZone) -> Date {
        let local = day * 86_400 + Int64(minutes) * 60
        func offset(_ t: Int64) -> Int64 { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t)))) }
        let before = offset(local - 86_400), after = offset(local + 86_400)
        let valid = Set([local - before, local - after]).filter { $0 + offset($0) == local }
        if let first = valid.min() { return Date(timeIntervalSince1970: Double(first)) }
        // A gap: the offset switches from `before` to `after` once in this window; find the
        // first second with the new offset (the jump), bisecting.
        var low = local - before - 86_400, high = local - before + 86_400
        while high - low > 1 {
            let mid = low + (high - low) / 2
            if offset(mid) == before { low = mid } else { high = mid }
        }
        return Date(timeIntervalSince1970: Double(high))
    }

    /// The first occurrence of `schedule` strictly after `after`; nil when there is none (a
    /// one-time schedule in the past, or a malformed definition). Paused schedules are the
    /// caller's business.
    public static func next(_ schedule: ScheduleDefinition, after: Date, in zone: TimeZone) -> Date? {
        guard let minutes = minutes(of: schedule.time) else { return nil }
        if schedule.repeats == .once {
            guard let date = schedule.date, let day = day(of: date) else { return nil }
            let at = instant(day: day, minutes: minutes, in: zone)
            return at > after ? at : nil
        }
        // From the day before `after`'s local day: eight more days cover every weekly pattern.
        let start = localDay(of: after, in: zone) - 1
        for day in start...(start + 9) where matches(schedule, day: day) {
            let at = instant(day: day, minutes: minutes, in: zone)
            if at > after { return at }
        }
        return nil
    }

    /// The occurrences in `(after, through]`, oldest first, at most the last `limit` of them.
    public static func occurrences(_ schedule: ScheduleDefinition, after: Date, through: Date, in zone: TimeZone,
                                   limit: Int = 20) -> [Date] {
        // Only the last `limit` are wanted: start no earlier than they can be (a week each, plus slack).
        let window = Double(limit * 7 + 9) * 86_400
        var cursor = max(after, through.addingTimeInterval(-window))
        var out: [Date] = []
        while let at = next(schedule, after: cursor, in: zone), at <= through {
            out.append(at)
            cursor = at
        }
        return Array(out.suffix(limit))
    }

    /// True when a recurring `schedule` has an occurrence on local `day`.
    static func matches(_ schedule: ScheduleDefinition, day: Int64) -> Bool {
        switch schedule.repeats {
        case .once: return schedule.date.flatMap { Self.day(of: $0) } == day
        case .daily: return true
        case .weekdays, .weekly: return schedule.days.contains(weekday(day: day))
        }
    }

    // MARK: - Civil dates (Howard Hinnant's algorithms)

    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for b in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) else { return nil }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
        }
        return value
    }
}
