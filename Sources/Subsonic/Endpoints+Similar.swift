import Foundation
import LocalStore
import OmniModel

// Similar songs from the analysis' feature vectors (decision 0035): getSimilarSongs(2) and the
// OpenSubsonic `sonicSimilarity` extension (getSonicSimilarTracks, findSonicPath), all from the
// daemon's one `SimilarTracks` index.
extension SubsonicAPI {
    static func registerSimilar(_ t: inout [String: Endpoint]) {
        t["getSimilarSongs"] = { c in
            let id = try c.parameters.required("id")
            let count = try c.parameters.int("count", default: 50, in: 0...500)
            return .node(try songs(c, "similarSongs", try await similarSongs(c, id: id, count: count)))
        }
        t["getSimilarSongs2"] = { c in
            let id = try c.parameters.required("id")
            let count = try c.parameters.int("count", default: 50, in: 0...500)
            return .node(try songs(c, "similarSongs2", try await similarSongs(c, id: id, count: count)))
        }
        t["getSonicSimilarTracks"] = { c in
            let uid = try songUID(c, try c.parameters.required("id"))
            let count = try c.parameters.int("count", default: 10, in: 0...500)
            guard let snapshot = try await snapshot(c) else { throw SubsonicError(.notFound, "sonic similarity is not available") }
            let near = snapshot.similar(to: uid, limit: max(count, 1)) ?? []
            return .list("sonicMatch", try matches(c, Array(near.prefix(count))))
        }
        t["findSonicPath"] = { c in
            let from = try songUID(c, try c.parameters.required("startSongId"))
            let to = try songUID(c, try c.parameters.required("endSongId"))
            let count = try c.parameters.int("count", default: 25, in: 2...500)
            guard let snapshot = try await snapshot(c) else { throw SubsonicError(.notFound, "sonic similarity is not available") }
            guard let path = snapshot.path(from: from, to: to, steps: count) else {
                throw SubsonicError(.notFound, "the song is not analysed yet")
            }
            // The extension scores each entry against the start song (not the one before it).
            let scored = path.map { item in
                SimilarTrack(uid: item.uid, score: item.uid == from ? 1 : snapshot.score(from, item.uid) ?? 0)
            }
            return .list("sonicMatch", try matches(c, scored))
        }
    }

    private static func snapshot(_ c: Call) async throws -> SimilarTracks.Snapshot? {
        guard let similar = c.environment.similar else { return nil }
        return try await similar.current()
    }

    /// `sonicMatch` entries: `{"entry": Child, "similarity": 0...1}`.
    private static func matches(_ c: Call, _ list: [SimilarTrack]) throws -> [Node] {
        let records = try c.library.tracks(uids: list.map(\.uid))
        let tracks = list.compactMap { records[$0.uid] }
        let shapes = try c.shapes.prepared(c.library, tracks)
        return list.compactMap { item in
            guard let record = records[item.uid] else { return nil }
            var n = Node("sonicMatch", [("similarity", .double(item.score))])
            n.add(shapes.song(record, name: "entry"))
            return n
        }
    }

    /// The tracks nearest to a song, or to every analysed track of an album or artist (each
    /// candidate scored by its best match; the seeds themselves left out), best first. Empty
    /// when nothing is analysed or the door has no index; an unknown id is error 70.
    static func similarSongs(_ c: Call, id: String, count: Int) async throws -> [TrackRecord] {
        let seeds: [TrackUID]
        switch ID(id) {
        case .song:
            seeds = [try songUID(c, id)]
        case .album(let key):
            guard let (_, tracks) = try c.library.subsonicAlbum(key: key) else { throw SubsonicError.notFound("album") }
            seeds = tracks.map(\.uid)
        case .artist(let key):
            guard let (_, albums) = try c.library.subsonicArtist(key: key) else { throw SubsonicError.notFound("artist") }
            seeds = try albums.flatMap { album in try c.library.subsonicAlbum(key: album.key)?.tracks.map(\.uid) ?? [] }
        default:
            throw SubsonicError.notFound("song, album or artist \(id)")
        }
        guard count > 0, let snapshot = try await snapshot(c) else { return [] }
        let own = Set(seeds)
        var best: [TrackUID: Double] = [:]
        // At most 50 seeds: an artist with hundreds of tracks is represented well enough.
        for seed in seeds.filter(snapshot.contains).prefix(50) {
            for near in snapshot.similar(to: seed, limit: count + own.count) ?? [] where !own.contains(near.uid) {
                best[near.uid] = max(best[near.uid] ?? 0, near.score)
            }
        }
        let ranked = best.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(count).map(\.key)
        let records = try c.library.tracks(uids: Array(ranked))
        return ranked.compactMap { records[$0] }
    }
}
