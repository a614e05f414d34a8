import Analysis
import GRDB

/// What the search language's analysis filters (`bpm:`, `key:`, `energy:`) and the BPM and key
/// sorts read (decision 0031). Kept out of `TrackRecord`: the analysed values live in
/// `trackAnalysis` and reach SQL through correlated subqueries on its primary key.
enum AnalysisSearch {
    /// A key's place on the Camelot wheel: 2 × number + (1 for major): 8A (A minor) = 16,
    /// 8B (C major) = 17. Sorting by it walks the wheel; filters compare it.
    static func rank(_ key: MusicalKey) -> Int { key.camelotNumber * 2 + (key.mode == .major ? 1 : 0) }

    /// `compatible:KEY`: the ranks of the four keys a DJ mixes with `key` — itself, one step
    /// either way on the Camelot wheel, its relative major/minor (`MusicalKey.relation(to:)`).
    static func compatibleRanks(_ key: MusicalKey) -> [Int] {
        (0..<12).flatMap { tonic in [MusicalKey.Mode.major, .minor].map { MusicalKey(tonic: tonic, mode: $0) } }
            .filter { key.relation(to: $0).isCompatible }.map(rank).sorted()
    }

    /// `omni_key_rank(text)`: the rank of a key written in any notation `MusicalKey(parsing:)`
    /// reads (a tag's "F#m", "8A", "1m", "A minor"), NULL for anything else. Registered on every
    /// connection of the library, like `omni_search_fold`.
    static let keyRankFunction = DatabaseFunction("omni_key_rank", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]), let key = MusicalKey(parsing: text) else { return nil }
        return rank(key)
    }

    /// The BPM a track is filtered and sorted by: its tag's, else the analysed one.
    static let bpm = "coalesce(track.bpm, (SELECT a.bpm FROM trackAnalysis a WHERE a.uid = track.uid AND a.status = 'done'))"
    /// The key rank a track is filtered and sorted by: its tag's when the tag reads as a key,
    /// else the analysed one.
    static let keyRank = """
        coalesce(omni_key_rank(nullif(track.musicalKey, '')), \
        (SELECT omni_key_rank(a.camelot) FROM trackAnalysis a WHERE a.uid = track.uid AND a.status = 'done'))
        """
    /// The analysed energy (0...1; tags have none).
    static let energy = "(SELECT a.energy FROM trackAnalysis a WHERE a.uid = track.uid AND a.status = 'done')"

    /// `120`, `120..130` (also `120-130`, reversed, open: `120..`, `..130`), `>120`, `>=120`,
    /// `<130`, `<=130` → inclusive bounds. A single value means that value to within ±0.5
    /// (`bpm:120` finds 119.6 and 120.4); `scale` 1 for BPM, and for energy a single value is exact.
    static func range(_ value: String, single: Double) -> (Double, Double)? {
        func number(_ text: Substring) -> Double? {
            guard !text.isEmpty, text.count <= 12, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let x = Double(text), x.isFinite else { return nil }
            return x
        }
        let tiny = 1e-9
        if let range = value.range(of: "..") {
            let left = value[..<range.lowerBound], right = value[range.upperBound...]
            switch (number(left), number(right)) {
            case let (low?, high?): return (min(low, high), max(low, high))
            case let (low?, nil) where right.isEmpty: return (low, .greatestFiniteMagnitude)
            case let (nil, high?) where left.isEmpty: return (-.greatestFiniteMagnitude, high)
            default: return nil
            }
        }
        if let dash = value.dropFirst().firstIndex(of: "-"), let low = number(value[..<dash]), let high = number(value[value.index(after: dash)...]) {
            return (min(low, high), max(low, high))
        }
        for op in [">=", "<=", ">", "<"] where value.hasPrefix(op) {
            guard let x = number(value.dropFirst(op.count)) else { return nil }
            switch op {
            case ">=": return (x, .greatestFiniteMagnitude)
            case "<=": return (-.greatestFiniteMagnitude, x)
            case ">": return (x + tiny, .greatestFiniteMagnitude)
            default: return (-.greatestFiniteMagnitude, x - tiny)
            }
        }
        guard let x = number(Substring(value)) else { return nil }
        return (x - single, x + single)
    }
}
