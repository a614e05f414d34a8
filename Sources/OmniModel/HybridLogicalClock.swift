/// A hybrid logical clock timestamp: wall-clock milliseconds, a logical counter for events within
/// one millisecond (or while the wall clock lags behind a timestamp already seen), and the device
/// that made it, which breaks ties so that no two devices ever produce equal timestamps.
///
/// Ordered by `(wallMs, counter, device)`. `encoded` is a string that sorts (bytewise) in the
/// same order, so SQL can compare timestamps as text. A plain value: it crosses threads freely.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970 (0 ... 2^48-1, about the year 10889).
    public var wallMs: Int64
    /// Events within the same `wallMs` (0 ... 2^32-1).
    public var counter: UInt32
    /// The id of the device that made the timestamp (see `Library.deviceID()`).
    public var device: String

    public init(wallMs: Int64, counter: UInt32, device: String) {
        self.wallMs = wallMs
        self.counter = counter
        self.device = device
    }

    /// The largest `wallMs` an encoding can hold.
    public static let maxWallMs: Int64 = (1 << 48) - 1

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool {
        if lhs.wallMs != rhs.wallMs { return lhs.wallMs < rhs.wallMs }
        if lhs.counter != rhs.counter { return lhs.counter < rhs.counter }
        return Array(lhs.device.utf8).lexicographicallyPrecedes(Array(rhs.device.utf8))
    }

    /// The time part, fixed width: 12 lowercase hex digits of `wallMs`, `-`, 8 of `counter`
    /// (`"0193a6f1c2d0-00000003"`). Bytewise order of these strings is the order of `(wallMs, counter)`.
    public var clock: String {
        Self.hex(UInt64(max(0, min(wallMs, Self.maxWallMs))), width: 12) + "-" + Self.hex(UInt64(counter), width: 8)
    }

    /// `clock` + `-` + `device`: sorts bytewise in timestamp order (the time part is fixed width,
    /// so devices are compared only when the times are equal).
    public var encoded: String { clock + "-" + device }

    public var description: String { encoded }

    /// Parses `clock` (time part only) with the given device.
    public init?(clock: String, device: String) {
        let bytes = Array(clock.utf8)
        guard bytes.count == 21, bytes[12] == UInt8(ascii: "-"),
              let wall = Self.parseHex(bytes[0..<12]), let counter = Self.parseHex(bytes[13..<21]) else { return nil }
        self.init(wallMs: Int64(wall), counter: UInt32(counter), device: device)
    }

    /// Parses `encoded`.
    public init?(encoded: String) {
        let bytes = Array(encoded.utf8)
        guard bytes.count > 22, bytes[21] == UInt8(ascii: "-") else { return nil }
        self.init(clock: String(decoding: bytes[0..<21], as: UTF8.self), device: String(decoding: bytes[22...], as: UTF8.self))
    }

    private static func hex(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func parseHex(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for byte in bytes {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}

extension HLCTimestamp: Codable {
    /// Encoded as the `encoded` string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = HLCTimestamp(encoded: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an HLC timestamp: \(text)")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoded)
    }
}

/// A hybrid logical clock (Kulkarni et al., 2014) for one device.
///
/// `tick()` stamps a local event: never less than the wall clock, always greater than every
/// timestamp this clock made or received, so an edit made after seeing another device's edit
/// orders after it even when this device's wall clock is behind. `receive(_:)` folds in a
/// remote timestamp.
///
/// A value type without locks: its owner keeps it consistent (the library keeps the last
/// timestamp in its `meta` table and ticks inside the write transaction, which serializes it).
/// The wall clock is injected, never read globally.
public struct HybridLogicalClock: Sendable {
    /// This device.
    public let device: String
    /// The last timestamp made or received (nil before the first).
    public private(set) var last: HLCTimestamp?
    /// Milliseconds since 1970 "now".
    private let wallClock: @Sendable () -> Int64

    /// A clock for `device`, continuing after `last`, reading the time from `wallClock`.
    public init(device: String, last: HLCTimestamp? = nil, wallClock: @escaping @Sendable () -> Int64) {
        self.device = device
        self.last = last
        self.wallClock = wallClock
    }

    /// A new timestamp for a local event, greater than every timestamp seen so far.
    public mutating func tick() -> HLCTimestamp {
        let now = min(max(wallClock(), 0), HLCTimestamp.maxWallMs)
        var next: HLCTimestamp
        if let last, last.wallMs >= now {
            next = Self.after(last, device: device)
        } else {
            next = HLCTimestamp(wallMs: now, counter: 0, device: device)
        }
        if let last, next <= last { next = Self.after(last, device: device) }
        last = next
        return next
    }

    /// Folds in a timestamp received from another device: later ticks order after it.
    /// Returns the clock's new last timestamp.
    @discardableResult
    public mutating func receive(_ remote: HLCTimestamp) -> HLCTimestamp {
        let now = min(max(wallClock(), 0), HLCTimestamp.maxWallMs)
        let newest = [last, remote].compactMap { $0 }.max()!
        let next: HLCTimestamp
        if now > newest.wallMs {
            next = HLCTimestamp(wallMs: now, counter: 0, device: device)
        } else {
            next = Self.after(newest, device: device)
        }
        last = next
        return next
    }

    /// The smallest timestamp of `device` after `t` (the counter wraps into the next millisecond).
    private static func after(_ t: HLCTimestamp, device: String) -> HLCTimestamp {
        t.counter == UInt32.max
            ? HLCTimestamp(wallMs: t.wallMs + 1, counter: 0, device: device)
            : HLCTimestamp(wallMs: t.wallMs, counter: t.counter + 1, device: device)
    }
}
