/// How one tag value is split into several names (see `docs/decisions/0003-multi-value-tags.md`).
///
/// The rule is deliberately small and explicit:
/// - always split on NUL and on ";" (with or without spaces around it): no artist or genre name
///   we know of contains a semicolon, and it is what taggers write ("Rock; Pop");
/// - split on "/" only when it has whitespace on both sides (" / "), so "AC/DC", "K/Half Noise"
///   or "Sleep/Swim" stay whole for people and titles;
/// - genres additionally split on a bare "/" ("Rock/Pop", "Hip-Hop/Rap"), because genre names with
///   a slash in them are rare and iTunes-style combined genres are common;
/// - never split on ",", "&", "and", "feat.": "Earth, Wind & Fire" is one name.
/// Parts are trimmed, NFC-normalized, empty parts dropped, duplicates removed, order kept.
public enum Separators {
    /// Which field a value belongs to: genres split more eagerly than names of people.
    public enum Field: Sendable {
        /// Artists, album artists, composers: a bare "/" does not split.
        case names
        /// Genres: a bare "/" splits too.
        case genres
    }

    /// Splits one value into parts according to the rule above.
    public static func split(_ value: String, field: Field) -> [String] {
        // Most values hold no separator byte (NUL, ";" and "/" are ASCII, so they are never part
        // of another character's UTF-8): the one part is the value itself. Others are split on
        // their bytes where that gives the same parts; decision 0039, "Probe threads, fourth
        // round" (`FastPathTests` checks both against `splitScalars`).
        let found = value.utf8.withContiguousStorageIfAvailable { bytes -> [String]? in
            guard bytes.contains(where: { $0 == 0 || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "/") }) else {
                return unique([value])
            }
            return splitBytes(bytes, field: field)
        }
        if let found, let parts = found { return parts }
        return splitScalars(value, field: field)
    }

    /// `split` on UTF-8 bytes, or nil when a "/" between names has a non-ASCII neighbour (whose
    /// White_Space property the general path looks up).
    static func splitBytes(_ bytes: UnsafeBufferPointer<UInt8>, field: Field) -> [String]? {
        func isASCIIWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var parts: [String] = []
        var start = 0
        for index in bytes.indices {
            let byte = bytes[index]
            var boundary = false
            switch byte {
            case 0, UInt8(ascii: ";"):
                boundary = true
            case UInt8(ascii: "/"):
                if field == .genres {
                    boundary = true
                } else if index > 0 && index + 1 < bytes.count {
                    let before = bytes[index - 1], after = bytes[index + 1]
                    if before >= 0x80 || after >= 0x80 { return nil }
                    boundary = isASCIIWhitespace(before) && isASCIIWhitespace(after)
                }
            default:
                break
            }
            if boundary {
                parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                start = index + 1
            }
        }
        parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
        return unique(parts)
    }

    /// `split` by the general rule, scalar by scalar.
    static func splitScalars(_ value: String, field: Field) -> [String] {
        var parts: [String] = []
        var current = ""
        let scalars = Array(value.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            var boundary = false
            switch scalar {
            case "\u{0}", ";":
                boundary = true
            case "/":
                let spaced = index > 0 && index + 1 < scalars.count
                    && scalars[index - 1].properties.isWhitespace && scalars[index + 1].properties.isWhitespace
                boundary = spaced || field == .genres
            default:
                break
            }
            if boundary {
                parts.append(current)
                current = ""
            } else {
                current.unicodeScalars.append(scalar)
            }
            index += 1
        }
        parts.append(current)
        return unique(parts)
    }

    /// Splits several container values (each may itself hold separators), then trims and
    /// deduplicates across all of them, keeping first-seen order.
    public static func split(values: [String], field: Field) -> [String] {
        unique(values.flatMap { split($0, field: field) })
    }

    /// Trims, NFC-normalizes, drops empty strings and duplicates, keeps order.
    static func unique(_ parts: [String]) -> [String] {
        // A tag's list is a few names: looking through them is cheaper than hashing each into a
        // set, and `==` is the equality the set used (decision 0039, "Probe threads, fourth round").
        guard parts.count > 8 else {
            var out: [String] = []
            out.reserveCapacity(parts.count)
            for part in parts {
                guard let clean = TextCleaning.clean(part), !out.contains(clean) else { continue }
                out.append(clean)
            }
            return out
        }
        var seen = Set<String>()
        var out: [String] = []
        for part in parts {
            guard let clean = TextCleaning.clean(part), seen.insert(clean).inserted else { continue }
            out.append(clean)
        }
        return out
    }
}
