import Foundation

/// Per-dimension robust scaling of feature vectors, computed from a library's vectors: each value
/// becomes (x − median) / scale, where scale is the interquartile range ÷ 1.349 (the standard
/// deviation a normal distribution with that IQR has), or the standard deviation when the IQR is
/// 0 (a dimension most tracks share), or 1 when that is 0 too (a constant dimension then adds
/// nothing). Scaled values are clipped to ±4 so one freak track (silence, a test tone) cannot
/// dominate a dimension. Why robust: a library holds outliers (spoken word, noise, silence) that
/// would inflate a plain standard deviation and squash everyone else together.
public struct FeatureNormalisation: Sendable, Equatable, Codable {
    /// The median of each dimension.
    public var center: [Double]
    /// The scale of each dimension (never 0).
    public var scale: [Double]

    /// The largest magnitude of a normalised value.
    public static let clip = 4.0

    /// Computes the scaling from `vectors` (all the same length; empty gives an empty scaling).
    public init(vectors: [[Double]]) {
        let dims = vectors.first?.count ?? 0
        center = []
        scale = []
        for d in 0..<dims {
            let values = vectors.map { d < $0.count ? $0[d] : 0 }.sorted()
            let n = values.count
            func quantile(_ p: Double) -> Double {
                let x = p * Double(n - 1)
                let i = Int(x), f = x - Double(i)
                return i + 1 < n ? values[i] * (1 - f) + values[i + 1] * f : values[i]
            }
            let median = quantile(0.5)
            var s = (quantile(0.75) - quantile(0.25)) / 1.349
            if s <= 1e-12 {
                let mean = values.reduce(0, +) / Double(n)
                s = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
            }
            center.append(median)
            scale.append(s > 1e-12 ? s : 1)
        }
    }

    /// `vector` scaled (dimensions beyond the scaling's are dropped, missing ones read 0).
    public func apply(_ vector: [Double]) -> [Double] {
        (0..<center.count).map { d in
            let x = d < vector.count ? vector[d] : center[d]
            return min(Self.clip, max(-Self.clip, (x - center[d]) / scale[d]))
        }
    }
}

/// Similar tracks from feature vectors (`FeatureVector.names`): nearest neighbours with a score,
/// mixed so one artist or album does not fill the list; a radio that picks next tracks near a seed
/// and the recent history without repeats; and a path of tracks between two.
///
/// Pure and in memory: the library side loads `(id, artist, album, vector)` rows and builds one
/// index per library change. Brute force over all tracks: 10,000 tracks × 45 dimensions is about
/// half a million multiply-adds per query, well under a millisecond.
///
/// Distance: the vectors are normalised (`FeatureNormalisation`); each dimension is weighted so that
/// each group of `FeatureVector.groups` (timbre, rhythm, tonal, loudness) adds its group weight
/// whatever its number of dimensions; the distance is the square root of the weighted mean of
/// squared differences (so 1 ≈ one typical spread apart in every dimension). Score = 1 / (1 + distance).
public struct SimilarityIndex<ID: Hashable & Sendable>: Sendable {
    /// One track as the index sees it.
    public struct Entry: Sendable {
        public var id: ID
        /// Used only to keep one artist from filling a list (compared exactly; nil never collides).
        public var artist: String?
        /// The same for albums.
        public var album: String?
        /// The raw feature vector (`TrackAnalysis.features`).
        public var vector: [Double]

        public init(id: ID, artist: String?, album: String?, vector: [Double]) {
            self.id = id
            self.artist = artist
            self.album = album
            self.vector = vector
        }
    }

    /// A neighbour and how close it is.
    public struct Neighbour: Sendable, Equatable {
        public var id: ID
        /// 1 / (1 + distance), rounded to 0.001: 1 for identical vectors.
        public var score: Double
        /// The weighted distance in normalised units.
        public var distance: Double
    }

    /// The scaling computed from the entries.
    public let normalisation: FeatureNormalisation
    /// The weight of each dimension (summing to 1).
    public let weights: [Double]
    private let entries: [Entry]
    private let points: [[Double]]
    private let position: [ID: Int]

    /// Builds the index: the normalisation is computed from `entries` themselves (the library).
    /// - Parameter groupWeights: the weight of each of `FeatureVector.groups`, by name; missing
    ///   names weigh 0. The default is `FeatureVector.defaultGroupWeights`.
    public init(entries: [Entry], groupWeights: [String: Double] = FeatureVector.defaultGroupWeights) {
        self.entries = entries
        let normalisation = FeatureNormalisation(vectors: entries.map(\.vector))
        self.normalisation = normalisation
        points = entries.map { normalisation.apply($0.vector) }
        var position: [ID: Int] = [:]
        for (i, e) in entries.enumerated() { position[e.id] = i }
        self.position = position
        weights = FeatureVector.dimensionWeights(groupWeights, count: normalisation.center.count)
    }

    /// The number of tracks.
    public var count: Int { entries.count }

    /// Whether `id` is in the index.
    public func contains(_ id: ID) -> Bool { position[id] != nil }

    /// The weighted distance between two normalised points.
    private func distance(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for d in 0..<weights.count {
            let diff = a[d] - b[d]
            s += weights[d] * diff * diff
        }
        return s.squareRoot()
    }

    /// The distance between two tracks in the index; nil when either is unknown.
    public func distance(_ a: ID, _ b: ID) -> Double? {
        guard let i = position[a], let j = position[b] else { return nil }
        return distance(points[i], points[j])
    }

    private func neighbour(_ i: Int, _ d: Double) -> Neighbour {
        Neighbour(id: entries[i].id, score: (1000 / (1 + d)).rounded() / 1000, distance: d)
    }

    /// Every track but `excluded`, nearest to `target` first (ties by index order).
    private func ranked(near target: [Double], excluding excluded: Set<Int>) -> [(Int, Double)] {
        var all: [(Int, Double)] = []
        all.reserveCapacity(points.count)
        for (i, p) in points.enumerated() where !excluded.contains(i) { all.append((i, distance(target, p))) }
        all.sort { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        return all
    }

    /// The tracks nearest to `id` (itself excluded), at most `limit`, with at most
    /// `perArtist` tracks of one artist and `perAlbum` of one album — the seed's own artist and
    /// album count as already present once. When the caps leave the list short (a library of one
    /// artist), it is filled with the nearest of the tracks they held back. Nil for an unknown id.
    public func similar(to id: ID, limit: Int = 20, perArtist: Int = 2, perAlbum: Int = 1) -> [Neighbour]? {
        guard let i = position[id] else { return nil }
        let candidates = ranked(near: points[i], excluding: [i])
        return diversified(candidates, limit: limit, perArtist: perArtist, perAlbum: perAlbum, seed: entries[i])
    }

    private func diversified(_ candidates: [(Int, Double)], limit: Int, perArtist: Int, perAlbum: Int, seed: Entry?) -> [Neighbour] {
        var artists: [String: Int] = [:], albums: [String: Int] = [:]
        if let a = seed?.artist { artists[a] = 1 }
        if let a = seed?.album { albums[a] = 1 }
        var picked: [Neighbour] = []
        var held: [(Int, Double)] = []
        for (j, d) in candidates {
            guard picked.count < limit else { break }
            let artist = entries[j].artist, album = entries[j].album
            if let artist, artists[artist, default: 0] >= perArtist { held.append((j, d)); continue }
            if let album, albums[album, default: 0] >= perAlbum { held.append((j, d)); continue }
            if let artist { artists[artist, default: 0] += 1 }
            if let album { albums[album, default: 0] += 1 }
            picked.append(neighbour(j, d))
        }
        if picked.count < limit {
            // Only reached when the caps held back tracks and the rest ran out.
            var rest = held
            if picked.count + rest.count < limit {
                let seen = Set(picked.map(\.id)).union(held.map { entries[$0.0].id })
                rest += candidates.filter { !seen.contains(entries[$0.0].id) }
            }
            rest.sort { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            picked += rest.prefix(limit - picked.count).map { neighbour($0.0, $0.1) }
        }
        return picked
    }

    /// The radio's next tracks: the ones nearest to a blend of the seed and the recent history
    /// (the seed weighs as much as the history together, so the radio drifts with what was
    /// played but stays near its start), skipping every track in `history`'s last `window` and
    /// the seed, with the same artist/album mixing as `similar`. Deterministic: the same inputs
    /// give the same tracks. Nil for an unknown seed.
    ///
    /// - Parameters:
    ///   - seed: the track the radio started from.
    ///   - history: what was played or queued since, oldest first (unknown ids are ignored for
    ///     the blend but still never repeated).
    ///   - window: how many of the last `history` entries may not repeat.
    ///   - count: how many tracks to return.
    public func radio(seed: ID, history: [ID], window: Int = 50, count: Int = 5) -> [ID]? {
        guard let s = position[seed] else { return nil }
        let recent = history.suffix(max(0, window))
        var excluded: Set<Int> = [s]
        for id in recent { if let j = position[id] { excluded.insert(j) } }
        // The last few played steer; older ones are only not repeated.
        let steering = recent.suffix(5).compactMap { position[$0] }
        var target = points[s]
        if !steering.isEmpty {
            for d in target.indices {
                let history = steering.reduce(0.0) { $0 + points[$1][d] } / Double(steering.count)
                target[d] = 0.5 * target[d] + 0.5 * history
            }
        }
        let candidates = ranked(near: target, excluding: excluded)
        // Artist/album caps count what was just played, so the radio moves on between artists.
        var lastEntry: Entry? = nil
        if let last = steering.last { lastEntry = entries[last] }
        return diversified(candidates, limit: count, perArtist: 1, perAlbum: 1, seed: lastEntry ?? entries[s]).map(\.id)
    }

    /// A path of `steps` tracks between `from` and `to` (both excluded), each step nearest to the
    /// next point on the straight line between them in the normalised space, never repeating a
    /// track: a transition playlist that moves from one sound to the other. Fewer than `steps`
    /// when the library is smaller. Nil for an unknown id.
    public func path(from: ID, to: ID, steps: Int) -> [ID]? {
        guard let a = position[from], let b = position[to] else { return nil }
        var used: Set<Int> = [a, b]
        var path: [ID] = []
        guard steps > 0 else { return [] }
        for k in 1...steps {
            let t = Double(k) / Double(steps + 1)
            let target = zip(points[a], points[b]).map { $0 + ($1 - $0) * t }
            var best = -1, bestDistance = Double.infinity
            for (i, p) in points.enumerated() where !used.contains(i) {
                let d = distance(target, p)
                if d < bestDistance { best = i; bestDistance = d }
            }
            guard best >= 0 else { break }
            used.insert(best)
            path.append(entries[best].id)
        }
        return path
    }
}
