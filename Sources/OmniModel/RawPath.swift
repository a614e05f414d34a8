/// A file system path kept as the bytes the kernel gave us.
///
/// Linux file names are byte strings: they need not be valid UTF-8. Converting them to `String`
/// and back would lose such names, so the walker, the store and the tag reader pass `RawPath`
/// around and only the presentation layer turns one into text (`displayString`, which replaces
/// invalid bytes with U+FFFD).
public struct RawPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path's bytes, without a trailing NUL.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A path from text (always valid UTF-8).
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// The path as text, with invalid UTF-8 sequences shown as U+FFFD.
    public var displayString: String { String(decoding: bytes, as: UTF8.self) }

    /// True when the bytes are valid UTF-8, so `displayString` round-trips.
    public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    public var description: String { displayString }

    public var isEmpty: Bool { bytes.isEmpty }

    public static func < (lhs: RawPath, rhs: RawPath) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// Joins `self` and a relative component with one `/`.
    public func appending(_ component: RawPath) -> RawPath {
        if bytes.isEmpty { return component }
        if component.bytes.isEmpty { return self }
        var out = bytes
        if out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        out.append(contentsOf: component.bytes.drop(while: { $0 == UInt8(ascii: "/") }))
        return RawPath(bytes: out)
    }

    /// The last path component (the file name).
    public var lastComponent: RawPath {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return self }
        return RawPath(bytes: Array(bytes[(slash + 1)...]))
    }

    /// Everything before the last `/` (empty for a bare name).
    public var deletingLastComponent: RawPath {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return RawPath(bytes: []) }
        return RawPath(bytes: Array(bytes[..<slash]))
    }

    /// True when `self` is `folder` or a path under it (every path is within the empty path).
    public func isWithin(_ folder: RawPath) -> Bool {
        if folder.bytes.isEmpty { return true }
        guard bytes.count >= folder.bytes.count, bytes.starts(with: folder.bytes) else { return false }
        return bytes.count == folder.bytes.count || bytes[folder.bytes.count] == UInt8(ascii: "/")
    }

    /// `self` relative to `base` (nil when `self` is not within `base`); `base` itself gives "".
    public func relative(to base: RawPath) -> RawPath? {
        guard isWithin(base) else { return nil }
        if base.bytes.isEmpty { return self }
        return RawPath(bytes: Array(bytes.dropFirst(base.bytes.count).drop(while: { $0 == UInt8(ascii: "/") })))
    }

    /// The lowercased ASCII extension without the dot ("mp3"), or "" when there is none.
    public var lowercasedExtension: String {
        let name = lastComponent.bytes
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot != name.startIndex else { return "" }
        let ext = name[(dot + 1)...]
        guard ext.count <= 8, ext.allSatisfy({ $0 < 0x80 }) else { return "" }
        return String(decoding: ext, as: UTF8.self).lowercased()
    }

    /// Calls `body` with a NUL-terminated C string of the path.
    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        var terminated = bytes
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}
