import Analysis
import Foundation
import Hummingbird
import LocalStore
import OmniModel

/// Similar tracks, the path between two, the mix helper, the genre suggestion and the player's
/// radio over HTTP (issue 14, decision 0035). Everything reads one shared `SimilarTracks` index
/// (`APIServerConfiguration.similar`), built off the request path.
extension Handlers {
    func registerSimilar(on router: Router<BasicRequestContext>) {
        router.get("/api/tracks/{uid}/similar") { request, context in try await self.similarTracks(request, context) }
        router.get("/api/tracks/{uid}/path/{to}") { request, context in try await self.trackPath(request, context) }
        router.get("/api/tracks/{uid}/genre-suggestion") { _, context in try await self.genreSuggestion(context) }
        router.get("/api/mix") { request, _ in try self.mix(request) }
        router.get("/api/player/radio") { _, _ in try JSONBody.response(try await self.radioState()) }
        router.post("/api/player/radio") { request, _ in try await self.startRadio(request) }
        router.delete("/api/player/radio") { _, _ in
            guard await self.configuration.actions.playerStatus() != nil else { throw APIError.notFound("the player") }
            return try JSONBody.response(try await self.configuration.actions.stopRadio())
        }
    }

    /// 409 `not_analysed`: the track has no feature vector yet (an action that needs one: a path,
    /// the radio). Asking for similar tracks is not an action: it answers `analysed: false`.
    static func notAnalysed(_ uid: TrackUID) -> APIError {
        APIError(.conflict, "not_analysed", "the track \(uid) is not analysed yet")
    }

    /// The index, with 404 for an unknown track and 409 for one without a vector.
    private func snapshot(requiring uids: [TrackUID]) async throws -> SimilarTracks.Snapshot {
        for uid in uids where try library.track(uid: uid) == nil { throw APIError.notFound("track") }
        let snapshot = try await configuration.similar.current()
        if let missing = uids.first(where: { !snapshot.contains($0) }) { throw Self.notAnalysed(missing) }
        return snapshot
    }

    /// Tracks with their scores, in order (tracks that left the library meanwhile are skipped).
    private func scored(_ list: [SimilarTrack]) throws -> [ScoredTrack] {
        let records = try library.tracks(uids: list.map(\.uid))
        return list.compactMap { item in records[item.uid].map { ScoredTrack(track: APITrack(record: $0), score: item.score) } }
    }

    /// `GET /api/tracks/{uid}/similar?limit=`: the nearest tracks, mixed by artist and album.
    /// A track without a vector (not analysed yet, or the index a rebuild behind its result) is
    /// a state, not an error: `analysed: false` and no tracks, so a track page that shows
    /// similar tracks for every track logs no failed request.
    func similarTracks(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        struct Body: Encodable { var seed: TrackUID; var analysed: Bool; var tracks: [ScoredTrack] }
        let uid = try uid(context)
        let limit = try QueryParameters(request).int("limit", default: 20, range: 1...100)
        guard try library.track(uid: uid) != nil else { throw APIError.notFound("track") }
        let snapshot = try await configuration.similar.current()
        guard snapshot.contains(uid) else { return try JSONBody.response(Body(seed: uid, analysed: false, tracks: [])) }
        return try JSONBody.response(Body(seed: uid, analysed: true, tracks: try scored(snapshot.similar(to: uid, limit: limit) ?? [])))
    }

    /// `GET /api/tracks/{a}/path/{b}?steps=`: `steps` tracks from a to b, each scored against
    /// the one before.
    func trackPath(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        struct Body: Encodable { var from: TrackUID; var to: TrackUID; var tracks: [ScoredTrack] }
        let from = try uid(context)
        guard let text = context.parameters.get("to"), !text.isEmpty, text.utf8.count <= 64,
              text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7a) })
        else { throw APIError.notFound("track") }
        let to = TrackUID(rawValue: text)
        let steps = try QueryParameters(request).int("steps", default: 8, range: 2...50)
        let snapshot = try await snapshot(requiring: [from, to])
        return try JSONBody.response(Body(from: from, to: to, tracks: try scored(snapshot.path(from: from, to: to, steps: steps) ?? [])))
    }

    /// `GET /api/tracks/{uid}/genre-suggestion`: a genre for an untagged track from the tagged
    /// tracks that sound alike; null for a tagged track or one without a vector.
    func genreSuggestion(_ context: BasicRequestContext) async throws -> Response {
        struct Body: Encodable {
            var genre: String?
            var confidence: Double
            var basis: [TrackUID]
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(genre, forKey: .genre)
                try c.encode(confidence, forKey: .confidence)
                try c.encode(basis, forKey: .basis)
            }
            enum CodingKeys: String, CodingKey { case genre, confidence, basis }
        }
        let uid = try uid(context)
        guard let record = try library.track(uid: uid) else { throw APIError.notFound("track") }
        // The library's tag is the truth (the index may be a rebuild behind an edit).
        let tagged = record.genres.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let suggestion = tagged ? GenreSuggestion.none : try await configuration.similar.current().genreSuggestion(for: uid)
        return try JSONBody.response(Body(genre: suggestion.genre, confidence: suggestion.confidence, basis: suggestion.basis))
    }

    /// `GET /api/mix?from=&to=&notation=`: how to blend `to` into `from` (`MixHelper`).
    func mix(_ request: Request) throws -> Response {
        let query = QueryParameters(request)
        guard let fromText = query.string("from"), !fromText.isEmpty, let toText = query.string("to"), !toText.isEmpty else {
            throw APIError.badRequest("give from and to (track uids)")
        }
        // The suggestion names keys in the user's notation (the web UI's setting); Camelot by default.
        let notation = try query.choice("notation", default: MusicalKey.Notation.camelot)
        let a = try mixSide(TrackUID(rawValue: fromText)), b = try mixSide(TrackUID(rawValue: toText))
        let advice = MixHelper.advise(from: MixTrack(bpm: a.bpm, key: a.musicalKey), to: MixTrack(bpm: b.bpm, key: b.musicalKey),
                                      notation: notation)
        return try JSONBody.response(MixBody(from: a, to: b, advice: MixAdviceBody(advice)))
    }

    /// A track's tempo and key for the mix helper: the tag's, else the analysed ones.
    private func mixSide(_ uid: TrackUID) throws -> MixSide {
        guard uid.rawValue.utf8.count <= 64, let record = try library.track(uid: uid) else { throw APIError.notFound("track") }
        let analysis = try library.analysis(of: uid).flatMap { $0.status == .done ? $0 : nil }
        var side = MixSide(uid: uid, title: record.title, artist: record.artist)
        if let bpm = record.bpm, bpm > 0 {
            side.bpm = bpm
            side.bpmSource = "tag"
        } else if let bpm = analysis?.bpm {
            side.bpm = (bpm * 100).rounded() / 100
            side.bpmSource = "analysis"
        }
        if let tag = record.musicalKey, let key = MusicalKey(parsing: tag) {
            side.musicalKey = key
        } else if let tonic = analysis?.keyTonic, let minor = analysis?.keyMinor {
            side.musicalKey = MusicalKey(tonic: tonic, mode: minor ? .minor : .major)
        }
        return side
    }

    // MARK: - Radio

    func radioState() async throws -> RadioState {
        guard await configuration.actions.playerStatus() != nil else { throw APIError.notFound("the player") }
        return await configuration.actions.radioState() ?? RadioState()
    }

    /// `POST /api/player/radio {"seed", "replace"}`.
    func startRadio(_ request: Request) async throws -> Response {
        struct Body: Decodable { var seed: String; var replace: Bool? }
        let body = try await JSONBody.decode(Body.self, from: request, limit: configuration.maxBodyBytes, nonNull: ["seed", "replace"])
        guard await configuration.actions.playerStatus() != nil else { throw APIError.notFound("the player") }
        let seed = TrackUID(rawValue: body.seed)
        guard body.seed.utf8.count <= 64 else { throw APIError.notFound("track") }
        _ = try await snapshot(requiring: [seed])
        return try JSONBody.response(try await configuration.actions.startRadio(seed: seed, replace: body.replace ?? true))
    }
}

/// A track (`GET /api/tracks/{uid}`'s object) with a similarity score added.
struct ScoredTrack: Encodable {
    var track: APITrack
    var score: Double

    private enum CodingKeys: String, CodingKey { case score }

    func encode(to encoder: any Encoder) throws {
        try track.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(score, forKey: .score)
    }
}

/// One side of `GET /api/mix`.
struct MixSide: Encodable {
    var uid: TrackUID
    var title: String
    var artist: String?
    var bpm: Double?
    /// "tag" or "analysis"; nil when the tempo is unknown.
    var bpmSource: String?
    var musicalKey: MusicalKey?

    private enum CodingKeys: String, CodingKey { case uid, title, artist, bpm, bpmSource, key, camelot, openKey }

    /// Every key present, null where unknown.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(uid, forKey: .uid)
        try c.encode(title, forKey: .title)
        try c.encode(artist, forKey: .artist)
        try c.encode(bpm, forKey: .bpm)
        try c.encode(bpmSource, forKey: .bpmSource)
        try c.encode(musicalKey?.standardName, forKey: .key)
        try c.encode(musicalKey?.camelot, forKey: .camelot)
        try c.encode(musicalKey?.openKey, forKey: .openKey)
    }
}

/// A key in the three notations (`K` of the contract).
struct KeyNames: Encodable {
    var key: String
    var camelot: String
    var openKey: String

    init?(_ key: MusicalKey?) {
        guard let key else { return nil }
        self.key = key.standardName
        camelot = key.camelot
        openKey = key.openKey
    }
}

/// `MixAdvice` as `GET /api/mix` shows it: every key present, null where unknown.
struct MixAdviceBody: Encodable {
    var advice: MixAdvice

    init(_ advice: MixAdvice) { self.advice = advice }

    private enum CodingKeys: String, CodingKey {
        case tempoLevel, matchedBpm, tempoChangePercent, pitchShiftSemitones, relation, shiftedKey, shiftedRelation
        case compatibleShiftSemitones, compatibleKey, suggestion
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(advice.tempoLevel?.rawValue, forKey: .tempoLevel)
        try c.encode(advice.matchedBPM, forKey: .matchedBpm)
        try c.encode(advice.tempoChangePercent, forKey: .tempoChangePercent)
        try c.encode(advice.pitchShiftSemitones, forKey: .pitchShiftSemitones)
        try c.encode(advice.relation?.rawValue, forKey: .relation)
        try c.encode(KeyNames(advice.shiftedKey), forKey: .shiftedKey)
        try c.encode(advice.shiftedRelation?.rawValue, forKey: .shiftedRelation)
        try c.encode(advice.compatibleShiftSemitones, forKey: .compatibleShiftSemitones)
        try c.encode(KeyNames(advice.compatibleKey), forKey: .compatibleKey)
        try c.encode(advice.suggestion, forKey: .suggestion)
    }
}

/// `GET /api/mix`'s answer.
struct MixBody: Encodable {
    var from: MixSide
    var to: MixSide
    var advice: MixAdviceBody
}
