import Analysis
import OmniModel

/// Finds tracks that are the same recording from their Chromaprint fingerprints (issue 14:
/// "another bitrate, format, or a trimmed copy").
///
/// Comparing every pair with `FingerprintMatch.similarity` (every alignment within ±15 s) costs
/// about 0.2 M bit operations a pair: 50 M pairs for 10,000 tracks is far too many. So, as
/// AcoustID does, exact 32-bit items are indexed first: two encodings of one recording share
/// many equal items at one consistent offset, different music shares few and at scattered
/// offsets. Only pairs with at least `minimumVotes` equal items at one offset (±1 item) are
/// compared, at the offsets the votes point to. Items that occur in many tracks (silence,
/// sustained tones) vote for nothing.
public enum DuplicateFinder {
    /// One copy of a group with how alike it is to the group's first copy.
    public struct Member: Sendable, Equatable {
        public var uid: TrackUID
        /// 0...1; 1 for the first member.
        public var similarity: Double
    }

    /// Pairs scoring at least this (share of equal bits) are the same recording. Re-encodes and
    /// trimmed copies score above 0.85, different music about 0.5 (Sources/Analysis/README.md).
    public static let threshold = 0.75

    /// Groups of two or more tracks that are the same recording, each in input order; groups
    /// ordered by their first track.
    public static func groups(_ prints: [(uid: TrackUID, raw: [UInt32])], minimumVotes: Int = 3) -> [[Member]] {
        let n = prints.count
        guard n > 1 else { return [] }
        // value → (track, position) postings, the first few positions per track.
        var postings: [UInt32: [(track: Int32, position: Int32)]] = [:]
        for (t, p) in prints.enumerated() {
            var seen: [UInt32: Int] = [:]
            for (i, v) in p.raw.enumerated() {
                let count = seen[v, default: 0]
                guard count < 4 else { continue }
                seen[v] = count + 1
                postings[v, default: []].append((Int32(t), Int32(i)))
            }
        }
        let commonLimit = max(16, n / 20)
        // (a, b, offset) votes, a < b; offset = position in b − position in a.
        var votes: [PairOffset: Int] = [:]
        for (_, list) in postings where list.count > 1 {
            let tracks = Set(list.map(\.track))
            guard tracks.count > 1, tracks.count <= commonLimit else { continue }
            for x in 0..<list.count {
                for y in (x + 1)..<list.count where list[x].track != list[y].track {
                    let (p, q) = list[x].track < list[y].track ? (list[x], list[y]) : (list[y], list[x])
                    votes[PairOffset(a: p.track, b: q.track, offset: q.position - p.position), default: 0] += 1
                }
            }
        }
        // Best offsets per pair (votes of neighbouring offsets pooled).
        var candidates: [Pair: [(offset: Int32, votes: Int)]] = [:]
        for (key, count) in votes {
            let pooled = count + (votes[PairOffset(a: key.a, b: key.b, offset: key.offset - 1)] ?? 0)
                + (votes[PairOffset(a: key.a, b: key.b, offset: key.offset + 1)] ?? 0)
            guard pooled >= minimumVotes else { continue }
            candidates[Pair(a: key.a, b: key.b), default: []].append((key.offset, pooled))
        }
        var parent = Array(0..<n)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        var score: [Pair: Double] = [:]
        for (pair, offsets) in candidates {
            let a = prints[Int(pair.a)].raw, b = prints[Int(pair.b)].raw
            var best = 0.0
            for candidate in offsets.sorted(by: { $0.votes > $1.votes }).prefix(3) {
                for delta in -1...1 { best = max(best, similarity(a, b, offset: Int(candidate.offset) + delta)) }
            }
            guard best >= threshold else { continue }
            score[pair] = best
            let (ra, rb) = (root(Int(pair.a)), root(Int(pair.b)))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        var members: [Int: [Int]] = [:]
        for t in 0..<n { members[root(t), default: []].append(t) }
        return members.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }.map { group in
            let first = group[0]
            return group.map { t in
                Member(uid: prints[t].uid,
                       similarity: t == first ? 1 : (score[Pair(a: Int32(first), b: Int32(t))] ?? FingerprintMatch.similarity(prints[first].raw, prints[t].raw)))
            }
        }
    }

    /// The share of equal bits of `a[i]` and `b[i + offset]` over their overlap (0 when it is
    /// shorter than 80 items, about 10 s).
    static func similarity(_ a: [UInt32], _ b: [UInt32], offset: Int) -> Double {
        let start = max(0, -offset), end = min(a.count, b.count - offset)
        guard end - start >= 80 else { return 0 }
        var differing = 0
        for i in start..<end { differing += (a[i] ^ b[i + offset]).nonzeroBitCount }
        return 1 - Double(differing) / Double((end - start) * 32)
    }

    private struct Pair: Hashable { var a: Int32; var b: Int32 }
    private struct PairOffset: Hashable { var a: Int32; var b: Int32; var offset: Int32 }
}
