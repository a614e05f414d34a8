import Analysis
import Foundation
import GRDB
import OmniModel
import Synchronization

/// The library's similarity index (issue 14, decision 0035): one `SimilarityIndex` over the
/// stored feature vectors of the current analyzer, with each track's artist and album (so lists
/// are mixed) and its first genre tag (the genre suggestion's votes), shared by every front door
/// (web API, radio, Subsonic).
///
/// - Built off the request path: a change (`invalidate()`, called for analysis results, scans,
///   edits and removals) bumps a generation counter and starts one rebuild on a thread of its own,
///   after a short pause that coalesces a stream of changes (an analysis pass stores a result
///   every few tenths of a second). Requests take the newest built index, which may be one
///   rebuild behind; only the very first request, before anything was built, waits for a build.
/// - Memory: the index keeps each track's raw and normalised vectors, its uid, artist and album:
///   about 1.1 kB a track, 11 MB for 10,000 tracks (`AnalysisBench similarity 10000`, decision
///   0035). While a rebuild runs, the old index stays in use, so the peak is twice that.
///
/// Thread safety: every method may be called from any thread or task; `snapshot()` blocks
/// (library reads, the build), `latest()` and `invalidate()` do not.
public final class SimilarTracks: Sendable {
    /// One built index and what it was built from.
    public struct Snapshot: Sendable {
        /// The index over every analysed track of the library.
        public let index: SimilarityIndex<TrackUID>
        /// Each indexed track's first genre tag, for tracks that have one.
        public let genres: [TrackUID: String]
        /// The generation it was built for.
        public let generation: Int
    }

    private let library: Library
    private let version: Int
    private let coalesce: Duration
    private let state = Mutex(State())

    private struct State {
        var generation = 0
        var latest: Snapshot?
        var building = false
    }

    /// - Parameters:
    ///   - analyzerVersion: only vectors of this version are comparable (decision 0032).
    ///   - coalesce: how long a rebuild waits after a change for more changes.
    public init(library: Library, analyzerVersion: Int = TrackAnalyzer.version, coalesce: Duration = .milliseconds(500)) {
        self.library = library
        self.version = analyzerVersion
        self.coalesce = coalesce
    }

    /// The generation counter: bumped by every `invalidate()`.
    public var generation: Int { state.withLock { $0.generation } }

    /// The newest built index, or nil before the first build. Never blocks.
    public func latest() -> Snapshot? { state.withLock { $0.latest } }

    /// Tells the index that analyses or the library changed: the next rebuild starts after
    /// `coalesce` on a thread of its own (one at a time). Any thread; never blocks.
    public func invalidate() {
        let built = state.withLock { state -> Bool in
            state.generation += 1
            return state.latest != nil
        }
        // Before the first request nothing is built: that request builds (no work for a
        // daemon whose users never ask for similar tracks).
        if built { scheduleRebuild() }
    }

    /// Starts the rebuilding thread unless it runs: it waits `coalesce`, builds, and builds
    /// again while changes came in meanwhile.
    private func scheduleRebuild() {
        let start = state.withLock { state -> Bool in
            guard !state.building else { return false }
            state.building = true
            return true
        }
        guard start else { return }
        let pause = Double(coalesce.components.seconds) + Double(coalesce.components.attoseconds) * 1e-18
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: pause)
                _ = try? build()
                let again = state.withLock { state -> Bool in
                    if state.latest?.generation == state.generation { state.building = false; return false }
                    return true
                }
                if !again { return }
            }
        }
        thread.name = "omnisonic-similar"
        thread.start()
    }

    /// Wakes on an event: analysis progress, scans, edits and removals change what is indexed.
    /// Any thread; never blocks.
    public func noticed(_ event: LibraryEvent) {
        switch event {
        case .analysis, .scanFinished, .tracksChanged, .tracksRemoved: invalidate()
        default: break
        }
    }

    /// The newest index; built here, blocking, when none was built yet.
    ///
    /// - Throws: `StoreError` when the library cannot be read.
    public func snapshot() throws(StoreError) -> Snapshot {
        if let latest = latest() { return latest }
        let built = try build()
        // A change that came in during the first build is picked up by a rebuild.
        if built.generation != generation { scheduleRebuild() }
        return built
    }

    /// The newest index, awaited on a thread of its own when it must be built first (never
    /// blocks the cooperative pool).
    public func current() async throws(StoreError) -> Snapshot {
        if let latest = latest() { return latest }
        let result: Result<Snapshot, StoreError> = await DedicatedThread.run(named: "omnisonic-similar") {
            Result { () throws(StoreError) in try self.snapshot() }
        }
        return try result.get()
    }

    /// Reads the vectors and builds an index for the current generation. Blocking.
    @discardableResult
    func build() throws(StoreError) -> Snapshot {
        let generation = self.generation
        let rows = try library.similarityRows(version: version)
        let index = SimilarityIndex(entries: rows.map { .init(id: $0.uid, artist: $0.artist, album: $0.album, vector: $0.vector) })
        var genres: [TrackUID: String] = [:]
        for row in rows { if let genre = row.genre { genres[row.uid] = genre } }
        let snapshot = Snapshot(index: index, genres: genres, generation: generation)
        state.withLock { state in
            // A slower build of an older generation never replaces a newer one.
            if (state.latest?.generation ?? -1) <= generation { state.latest = snapshot }
        }
        return snapshot
    }
}

/// One track as the similarity index reads it from the library.
public struct SimilarityRow: Sendable, Equatable {
    public var uid: TrackUID
    public var artist: String?
    public var album: String?
    /// The first genre tag, nil when the track has none.
    public var genre: String?
    public var vector: [Double]
}

extension Library {
    /// Every track of the library with a successful analysis of `version` and a feature vector
    /// of `FeatureVector.names.count` numbers, in track order.
    public func similarityRows(version: Int) throws(StoreError) -> [SimilarityRow] {
        let dimensions = FeatureVector.names.count
        return try read("reading feature vectors") { db in
            try Row.fetchAll(db, sql: """
                SELECT track.uid, track.artist, track.album, track.albumId, track.genres, a.features
                FROM trackAnalysis a JOIN track ON track.uid = a.uid
                WHERE a.analyzerVersion = ? AND a.status = 'done' AND a.features IS NOT NULL ORDER BY track.id
                """, arguments: [version]).compactMap { row in
                let vector = AnalysisBlob.values(row[5]) as [Double]
                guard vector.count == dimensions else { return nil }
                let albumId: Int64? = row[3]
                let genres = (row[4] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
                return SimilarityRow(uid: TrackUID(rawValue: row[0]), artist: Self.nonEmpty(row[1]),
                                     // The album row when there is one (two albums of one title by two artists differ).
                                     album: albumId.map { "#\($0)" } ?? Self.nonEmpty(row[2]),
                                     genre: genres.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }, vector: vector)
            }
        }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return text
    }
}

/// A genre for a track without one, voted by the user's own tagged tracks that sound alike
/// (`SimilarTracks.Snapshot.genreSuggestion`).
public struct GenreSuggestion: Sendable, Equatable {
    /// The winning genre; nil when the track is tagged, not analysed, or no tagged track is near.
    public var genre: String?
    /// The winner's share of the votes, 0...1 (each voter weighs 1 / distance²).
    public var confidence: Double
    /// The tagged neighbours that voted, nearest first.
    public var basis: [TrackUID]

    public init(genre: String?, confidence: Double, basis: [TrackUID]) {
        self.genre = genre
        self.confidence = confidence
        self.basis = basis
    }

    /// No suggestion.
    public static let none = GenreSuggestion(genre: nil, confidence: 0, basis: [])
}

extension SimilarTracks.Snapshot {
    /// How many tagged neighbours vote.
    public static let genreVoters = 5

    /// The genre of most of the `voters` nearest tagged tracks, each vote weighted by the inverse
    /// square of its distance (Dudani's distance-weighted k-NN: a near neighbour outvotes several
    /// far ones, so a small family of the same sound is not outvoted by a crowd of the next
    /// style), a tie going to the genre with more voters, then to the nearer; the confidence is
    /// the winner's share of the weight. Neighbours are not mixed by artist here: a user's own
    /// tagging of one artist is exactly the evidence wanted. `.none` for a track that has a
    /// genre tag in the index or no vector.
    public func genreSuggestion(for uid: TrackUID, voters: Int = genreVoters) -> GenreSuggestion {
        guard genres[uid] == nil, let ranked = index.similar(to: uid, limit: index.count, perArtist: .max, perAlbum: .max) else { return .none }
        let tagged = ranked.filter { genres[$0.id] != nil }.prefix(max(1, voters))
        guard !tagged.isEmpty else { return .none }
        var weight: [String: Double] = [:], count: [String: Int] = [:], first: [String: Int] = [:]
        for (rank, n) in tagged.enumerated() {
            let genre = genres[n.id]!
            // A copy of the same recording (distance near 0) weighs as one at 0.05.
            weight[genre, default: 0] += 1 / max(0.0025, n.distance * n.distance)
            count[genre, default: 0] += 1
            if first[genre] == nil { first[genre] = rank }
        }
        let winner = weight.keys.max { a, b in
            if weight[a]! != weight[b]! { return weight[a]! < weight[b]! }
            if count[a]! != count[b]! { return count[a]! < count[b]! }
            return first[a]! > first[b]!
        }!
        let total = weight.values.reduce(0, +)
        let confidence = total > 0 ? (weight[winner]! / total * 1000).rounded() / 1000 : 0
        return GenreSuggestion(genre: winner, confidence: confidence, basis: tagged.map(\.id))
    }
}

/// A track near another, and how near (`SimilarityIndex.Neighbour` for callers that do not
/// import Analysis).
public struct SimilarTrack: Sendable, Equatable {
    public var uid: TrackUID
    /// 0...1, 1 for identical vectors.
    public var score: Double

    public init(uid: TrackUID, score: Double) {
        self.uid = uid
        self.score = score
    }
}

extension SimilarTracks.Snapshot {
    /// The similarity of two indexed tracks (1 / (1 + distance), to 0.001); nil when either has no vector.
    public func score(_ a: TrackUID, _ b: TrackUID) -> Double? {
        index.distance(a, b).map { (1000 / (1 + $0)).rounded() / 1000 }
    }

    /// Whether `uid` has a vector in this index.
    public func contains(_ uid: TrackUID) -> Bool { index.contains(uid) }

    /// The tracks nearest to `uid`, mixed by artist and album (`SimilarityIndex.similar`); nil
    /// when `uid` has no vector.
    public func similar(to uid: TrackUID, limit: Int) -> [SimilarTrack]? {
        index.similar(to: uid, limit: limit)?.map { SimilarTrack(uid: $0.id, score: $0.score) }
    }

    /// The radio's next tracks (`SimilarityIndex.radio`); nil when the seed has no vector.
    public func radio(seed: TrackUID, history: [TrackUID], window: Int, count: Int) -> [TrackUID]? {
        index.radio(seed: seed, history: history, window: window, count: count)
    }

    /// `from`, up to `steps − 2` tracks between, and `to`, each with its similarity to the one
    /// before (the first scores 1); nil when either end has no vector.
    public func path(from: TrackUID, to: TrackUID, steps: Int) -> [SimilarTrack]? {
        guard let between = index.path(from: from, to: to, steps: max(0, steps - 2)) else { return nil }
        let uids = [from] + between + [to]
        return uids.enumerated().map { i, uid in
            SimilarTrack(uid: uid, score: i == 0 ? 1 : score(uids[i - 1], uid) ?? 0)
        }
    }
}
