import OmniModel

/// What one file's tags may cost to read, in bytes and counts (docs/decisions/0021-tag-reader-limits.md).
///
/// A tag is data from anyone: a 16 MB ID3v2 frame of NUL-separated one-letter values once took
/// 7.8 s and 478 MB to probe. The limits are far above anything a tagger writes (MusicBrainz
/// Picard's busiest files carry a few hundred values) and keep a hostile tag to milliseconds and
/// a few megabytes. What is over a limit is left out and reported as a `ProbeWarning`.
enum TagLimits {
    /// Bytes of one text value that are decoded; the rest of a longer value is cut.
    static let valueBytes = 64 * 1024
    /// Values kept under one key (a list of artists, genres...).
    static let valuesPerKey = 256
    /// Values kept from one tag in all.
    static let values = 2048
    /// Pictures kept from one tag (one is used; the others only compete for "front cover").
    static let pictures = 8
    /// Comment entries of a Vorbis comment block that are looked at.
    static let vorbisEntries = 8192
}

/// A `RawTags` filled under `TagLimits`, counting what it had to leave out.
struct TagCollector {
    /// The values kept.
    private(set) var tags: RawTags
    /// Values not kept because a count limit was reached.
    private(set) var droppedValues = 0
    /// Values kept only in part because they were longer than `TagLimits.valueBytes`.
    private(set) var cutValues = 0
    /// Parts that were malformed and skipped, in plain words (at most a few are kept).
    private(set) var damage: [String] = []
    private var count = 0

    init(semicolonJoinsValues: Bool = false) {
        tags = RawTags(semicolonJoinsValues: semicolonJoinsValues)
    }

    /// True when no more values are taken.
    var isFull: Bool { count >= TagLimits.values }

    /// How many more values `key` may take.
    func room(for key: String) -> Int {
        max(0, min(TagLimits.valuesPerKey - tags.values(key).count, TagLimits.values - count))
    }

    /// Adds `value` under `key` when the limits allow, else counts it as dropped.
    mutating func add(_ key: String, _ value: String) {
        guard room(for: key) > 0 else {
            droppedValues += 1
            return
        }
        tags.add(key, value)
        count += 1
    }

    /// Counts values a parser did not even decode because there was no room.
    mutating func drop(_ values: Int) { droppedValues += values }

    /// Counts a value that was cut to `TagLimits.valueBytes`.
    mutating func noteCut() { cutValues += 1 }

    /// Records a malformed part that was skipped.
    mutating func noteDamage(_ what: String) {
        if damage.count < 8 { damage.append(what) }
    }

    /// The warnings this collection deserves, naming the tag (`"ID3v2"`, `"APEv2"`...).
    func warnings(tag name: String) -> [ProbeWarning] {
        var out: [ProbeWarning] = []
        if droppedValues > 0 || cutValues > 0 {
            var parts: [String] = []
            // A list cut short is not scanned to its end, so the count is of cut lists and
            // skipped entries, not of every value.
            if droppedValues > 0 { parts.append("values over the limit of \(TagLimits.valuesPerKey) per field or \(TagLimits.values) per tag were left out (\(droppedValues) lists or entries)") }
            if cutValues > 0 { parts.append("\(cutValues) values longer than \(TagLimits.valueBytes) bytes were cut") }
            out.append(ProbeWarning(.tagTruncated, "\(name) tag: " + parts.joined(separator: "; ")))
        }
        for part in damage { out.append(ProbeWarning(.tagDamaged, "\(name) tag: \(part)")) }
        return out
    }

    /// True when anything was dropped or cut (the tag is hostile or absurd).
    var isOverLimits: Bool { droppedValues > 0 || cutValues > 0 }
}
