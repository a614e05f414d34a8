import Analysis
import Foundation
import Hummingbird
import LocalStore
import OmniModel

/// The background analysis over HTTP (decision 0031): its progress, a track's results,
/// "Analyse again", and the duplicates its fingerprints find.
extension Handlers {
    func registerAnalysis(on router: Router<BasicRequestContext>) {
        router.get("/api/analysis") { _, _ in try JSONBody.response(await self.configuration.actions.analysisStatus()) }
        router.get("/api/tracks/{uid}/analysis") { _, context in try await self.trackAnalysis(context) }
        router.post("/api/tracks/{uid}/analysis") { _, context in try await self.analyseAgain(context) }
        router.get("/api/duplicates") { _, _ in try await self.duplicates() }
    }

    /// `GET /api/tracks/{uid}/analysis`: what the analysis found about a track, and whether it
    /// is current or waiting.
    func trackAnalysis(_ context: BasicRequestContext) async throws -> Response {
        let uid = try uid(context)
        guard try library.track(uid: uid) != nil else { throw APIError.notFound("track") }
        return try JSONBody.response(try await analysisBody(uid))
    }

    /// `POST /api/tracks/{uid}/analysis` ("Analyse again"): 202 with the track's analysis state,
    /// now queued; 409 when analysis is off.
    func analyseAgain(_ context: BasicRequestContext) async throws -> Response {
        let uid = try uid(context)
        guard try await configuration.actions.analyseAgain(uid: uid) else { throw APIError.notFound("track") }
        return try JSONBody.response(try await analysisBody(uid), status: .accepted)
    }

    /// `GET /api/duplicates`: groups of tracks that are the same recording.
    func duplicates() async throws -> Response {
        struct Body: Encodable {
            /// False while analysis is off or has found no fingerprints to compare.
            var available: Bool
            var groups: [DuplicateGroup]
        }
        let groups = await configuration.actions.duplicateGroups()
        return try JSONBody.response(Body(available: groups != nil, groups: groups ?? []))
    }

    private func analysisBody(_ uid: TrackUID) async throws -> TrackAnalysisBody {
        let status = await configuration.actions.analysisStatus()
        let stored = try library.analysis(of: uid)
        let pending = status.enabled ? try library.isAnalysisPending(uid, version: status.analyzerVersion) : false
        return TrackAnalysisBody(uid: uid, stored: stored, enabled: status.enabled, version: status.analyzerVersion, pending: pending)
    }
}

/// One track's analysis as the API shows it (`GET /api/tracks/{uid}/analysis`). Numbers are
/// rounded for people (BPM to 0.01, decibels to 0.01, descriptors to 0.001); null where not
/// applicable (no steady tempo, no key, silence) or not analysed yet.
struct TrackAnalysisBody: Encodable {
    var uid: TrackUID
    /// "done", "failed", "queued" (never analysed, waiting) or "off" (analysis is switched off
    /// and the track was never analysed).
    var state: String
    /// True when the stored result is from the current analyzer version.
    var current: Bool
    /// True while the track waits for (re-)analysis.
    var queued: Bool
    var reason: String?
    var analyzerVersion: Int?
    var analyzedAt: Double?
    var bpm: Double?
    var bpmConfidence: Double?
    var bpmAlternative: Double?
    var beatOffsetMs: Double?
    /// Standard notation ("A minor"), Camelot ("8A") and Open Key ("1m").
    var key: String?
    var camelot: String?
    var openKey: String?
    var keyConfidence: Double?
    var tuningCents: Double?
    var loudnessLufs: Double?
    var loudnessRangeLu: Double?
    var truePeakDbtp: Double?
    var replayGainDb: Double?
    var energy: Double?
    var danceability: Double?
    var electronic: Double?
    var brightness: Double?
    var fingerprint: String?

    init(uid: TrackUID, stored: StoredAnalysis?, enabled: Bool, version: Int, pending: Bool) {
        self.uid = uid
        queued = pending
        guard let a = stored else {
            state = enabled ? "queued" : "off"
            current = false
            return
        }
        func round(_ x: Double?, _ places: Double = 100) -> Double? { x.map { ($0 * places).rounded() / places } }
        state = a.status.rawValue
        current = a.analyzerVersion == version && !pending
        reason = a.reason
        analyzerVersion = a.analyzerVersion
        analyzedAt = a.analyzedAt
        bpm = round(a.bpm)
        bpmConfidence = round(a.bpmConfidence, 1000)
        bpmAlternative = round(a.bpmAlternative)
        beatOffsetMs = a.beatOffsetMs
        if let tonic = a.keyTonic, let minor = a.keyMinor {
            let musicalKey = MusicalKey(tonic: tonic, mode: minor ? .minor : .major)
            key = musicalKey.standardName
            camelot = musicalKey.camelot
            openKey = musicalKey.openKey
        }
        keyConfidence = round(a.keyConfidence, 1000)
        tuningCents = round(a.tuningCents, 10)
        loudnessLufs = round(a.loudnessLufs)
        loudnessRangeLu = round(a.loudnessRangeLu)
        truePeakDbtp = round(a.truePeakDbtp)
        replayGainDb = round(a.replayGainDb)
        energy = round(a.energy, 1000)
        danceability = round(a.danceability, 1000)
        electronic = round(a.electronic, 1000)
        brightness = round(a.brightness, 1000)
        fingerprint = a.fingerprint
    }
}
