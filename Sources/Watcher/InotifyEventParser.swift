import OmniModel

/// Decodes the bytes one `read(2)` on an inotify descriptor returned into `InotifyEvent`s.
///
/// Pure: no system calls, safe from any thread. The kernel only ever returns whole records, but
/// the parser does not rely on it: a record cut short (header or name) is left unconsumed and
/// `consumed` says where it starts, so a caller that reads into a ring buffer can keep it.
///
/// Record layout (`struct inotify_event`, native byte order): `int32 wd`, `uint32 mask`,
/// `uint32 cookie`, `uint32 len`, then `len` bytes of name, NUL-terminated and NUL-padded
/// (`len` counts the padding; 0 when there is no name).
public enum InotifyEventParser {
    /// The fixed part of a record.
    public static let headerSize = 16

    /// The result of parsing one buffer.
    public struct Parsed: Sendable, Equatable {
        /// The whole records, in order.
        public var events: [InotifyEvent]
        /// How many bytes those records took; bytes after this are an incomplete record.
        public var consumed: Int
    }

    /// Parses every whole record at the start of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed {
        var events: [InotifyEvent] = []
        var offset = 0
        while bytes.count - offset >= headerSize {
            let wd = Int32(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + headerSize
            guard length <= bytes.count - nameStart else { break }  // name cut short
            let nameBytes = bytes[nameStart..<(nameStart + length)]
            let end = nameBytes.firstIndex(of: 0) ?? nameBytes.endIndex
            events.append(InotifyEvent(watchDescriptor: wd, mask: InotifyEvent.Mask(rawValue: mask), cookie: cookie,
                                       name: RawPath(bytes: Array(nameBytes[nameStart..<end]))))
            offset = nameStart + length
        }
        return Parsed(events: events, consumed: offset)
    }

    /// Parses every whole record at the start of `bytes`.
    public static func parse(_ bytes: [UInt8]) -> Parsed {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// Encodes one record the way the kernel does (name NUL-padded to a multiple of 16 bytes);
    /// for tests and for simulating `IN_Q_OVERFLOW`.
    public static func encode(_ event: InotifyEvent) -> [UInt8] {
        var out: [UInt8] = []
        func append(_ value: UInt32) { withUnsafeBytes(of: value) { out.append(contentsOf: $0) } }
        var padded = event.name.bytes
        if !padded.isEmpty {
            padded.append(0)
            while padded.count % 16 != 0 { padded.append(0) }
        }
        append(UInt32(bitPattern: event.watchDescriptor))
        append(event.mask.rawValue)
        append(event.cookie)
        append(UInt32(padded.count))
        out.append(contentsOf: padded)
        return out
    }
}
