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
        var seen = Set<String>()
        var out: [String] = []
        for part in parts {
            guard let clean = TextCleaning.clean(part), seen.insert(clean).inserted else { continue }
            out.append(clean)
        }
        return out
    }
}
