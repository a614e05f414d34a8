import Foundation

/// **Test-only.** The scheduler's clock, read from a file named by `OMNISONIC_TEST_CLOCK_FILE`,
/// so end-to-end tests (e2e/web/test_schedules.py) can make a schedule come due, jump a
/// daylight-saving week or let a run be missed, without waiting. Not a setting for people: it
/// is not in the configuration file, `--help` or the README's table, and the daemon logs a
/// warning at start when it is set.
///
/// The file holds one instant: seconds since 1970 (`1774746000`, fractions allowed) or ISO 8601
/// with a zone (`2026-03-29T01:00:00Z`). It is read at every check of the scheduler, which
/// while this clock is set checks at least every `recheck` seconds (a write to the file wakes
/// nobody; on the real clock the scheduler sleeps until it is due); while the file is missing
/// or unreadable the real clock is used. Only the scheduler (what
/// is due, `since`, the runs' times, fades and sleep timers) follows it; the play history and
/// the operation log keep the real time.
public enum TestClock {
    /// The environment variable that names the file.
    public static let variable = "OMNISONIC_TEST_CLOCK_FILE"

    /// The longest the scheduler sleeps between two checks while this clock is set, in seconds:
    /// tests that move the clock see schedules fire within half a second, as before.
    public static let recheck: Double = 0.5

    /// The clock the scheduler uses: the file's instant when `variable` is set, else `Date()`.
    public static func clock(environment: [String: String]) -> @Sendable () -> Date {
        guard let path = environment[variable], !path.isEmpty else { return { Date() } }
        return { read(path) ?? Date() }
    }

    /// The instant in the file, or nil.
    static func read(_ path: String) -> Date? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let seconds = Double(text), seconds.isFinite { return Date(timeIntervalSince1970: seconds) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
