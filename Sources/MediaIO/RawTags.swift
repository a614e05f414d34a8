/// A case-insensitive multi-map of tag keys to values, in file order, as one tag source gave them.
///
/// This is the input of `TagNormalizer`: libavformat's dictionaries, our ID3v2/ID3v1/APEv2 parsers
/// and tests all produce one. Keys are compared lowercased; each value is one value as the
/// container stored it (a repeated Vorbis key or an ID3v2.4 NUL-separated text frame gives
/// several values under one key).
public struct RawTags: Sendable, Equatable {
    /// Keys in first-seen order, lowercased.
    public private(set) var keys: [String] = []
    private var storage: [String: [String]] = [:]
    /// True when the source joined repeated keys into one value with ";" (libavformat 5.1 does
    /// this for Vorbis comments: `ARTIST=A`, `ARTIST=B` reach us as `"A;B"`), so the normalizer
    /// treats ";" in list fields as the container's own value boundary.
    public var semicolonJoinsValues: Bool

    /// An empty map.
    public init(semicolonJoinsValues: Bool = false) {
        self.semicolonJoinsValues = semicolonJoinsValues
    }

    /// A map from `(key, value)` pairs in order (repeated keys become several values).
    public init(_ pairs: [(String, String)], semicolonJoinsValues: Bool = false) {
        self.semicolonJoinsValues = semicolonJoinsValues
        for (key, value) in pairs { add(key, value) }
    }

    /// Appends `value` under `key` (case-insensitive).
    public mutating func add(_ key: String, _ value: String) {
        // One hash of the key, not two, and no lowercasing of a key that is lowercase ASCII
        // already (every probe adds each of its tags here; decision 0039, "Probe threads,
        // fourth round").
        let lowercase = key.utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        let folded = lowercase ? key : key.lowercased()
        let count = storage.count
        storage[folded, default: []].append(value)
        if storage.count != count { keys.append(folded) }
    }

    /// Makes room for `count` keys at once, so a source whose size is known (libavformat's
    /// dictionaries) does not grow the table key by key (decision 0039, "Probe threads, fourth
    /// round").
    public mutating func reserveCapacity(_ count: Int) {
        storage.reserveCapacity(count)
        keys.reserveCapacity(count)
    }

    /// All values under `key` (case-insensitive), in file order; empty when absent.
    public func values(_ key: String) -> [String] { storage[key.lowercased()] ?? [] }

    /// All values under an already-lowercased key (the key table's hot path).
    func values(folded key: String) -> [String] { storage[key] ?? [] }

    /// True when no key is present.
    public var isEmpty: Bool { keys.isEmpty }
}
