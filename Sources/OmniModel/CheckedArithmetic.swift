/// Arithmetic on numbers that come from outside the program: file bytes, `stat` results,
/// request parameters, playlist lines, configuration values.
///
/// Swift traps on an overflowing `*`, `+` or `Int(someDouble)`, and a trap in the daemon is a
/// crash loop when the number sits in a file it indexes at every start. These helpers never
/// trap: they answer nil (the caller makes that file, line or request invalid) or clamp (the
/// caller documents why the clamped value is as good). Pure functions; any thread.
public enum CheckedArithmetic {
    /// `a × b`, or nil when it does not fit in `T`.
    public static func product<T: FixedWidthInteger>(_ a: T, _ b: T) -> T? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// `a + b`, or nil when it does not fit in `T`.
    public static func sum<T: FixedWidthInteger>(_ a: T, _ b: T) -> T? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// `a × b`, clamped to `T.min...T.max`.
    public static func clampedProduct<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        product(a, b) ?? ((a < 0) != (b < 0) ? T.min : T.max)
    }

    /// `a + b`, clamped to `T.min...T.max`.
    public static func clampedSum<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
        sum(a, b) ?? (b < 0 ? T.min : T.max)
    }

    /// `value` rounded to the nearest integer, or nil when it is not finite or out of `Int`'s
    /// range (`Int(1e300)` and `Int(Double.infinity)` trap; this does not).
    public static func int(rounding value: Double) -> Int? {
        guard value.isFinite else { return nil }
        return Int(exactly: value.rounded())
    }

    /// Nanoseconds since 1970 for a `timespec` (`stat`'s `st_mtim`, `st_ctim`), clamped to what
    /// an `Int64` holds: 1677-09-21 to 2262-04-11. A file dated outside that range (`touch -d
    /// 2286-01-01` is legal on ext4 and btrfs) is recorded at the nearest end instead of
    /// trapping; the time is only compared for change detection, where size and ctime go with it.
    public static func nanoseconds(seconds: Int, nanoseconds: Int) -> Int64 {
        clampedSum(clampedProduct(Int64(seconds), 1_000_000_000), Int64(nanoseconds))
    }
}
