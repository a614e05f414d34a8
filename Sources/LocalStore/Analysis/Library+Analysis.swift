import Foundation
import GRDB
import OmniModel

/// What the background analysis found about one track, as stored (`trackAnalysis`, decision
/// 0031). Plain values: LocalStore does not know the Analysis module; the daemon maps its
/// `TrackAnalysis` onto this.
public struct StoredAnalysis: Sendable, Equatable {
    /// Whether the analysis ran to the end.
    public enum Status: String, Sendable, Codable {
        case done
        /// The file could not be decoded (`reason` says why); retried when the file changes.
        case failed
    }

    public var uid: TrackUID
    /// `TrackAnalyzer.version` of the analyzer that wrote it.
    public var analyzerVersion: Int
    public var status: Status
    /// Why it failed (nil when done).
    public var reason: String?
    /// The analysed file's size and mtime (nanoseconds), as the library had them.
    public var fileSize: Int64
    public var fileMtimeNs: Int64
    /// When it ran (seconds since 1970) and how long it took (wall seconds).
    public var analyzedAt: Double
    public var seconds: Double
    public var durationSeconds: Double?
    public var bpm: Double?
    public var bpmConfidence: Double?
    public var beatOffsetMs: Double?
    public var bpmAlternative: Double?
    /// The key's tonic, 0 = C … 11 = B.
    public var keyTonic: Int?
    public var keyMinor: Bool?
    /// The key as a Camelot code ("8A"), what `key:` searches compare.
    public var camelot: String?
    public var keyConfidence: Double?
    public var tuningCents: Double?
    public var loudnessLufs: Double?
    public var loudnessRangeLu: Double?
    public var truePeakDbtp: Double?
    public var samplePeakDbfs: Double?
    /// ReplayGain 2.0 track gain (−18 LUFS reference), dB.
    public var replayGainDb: Double?
    /// The 400 ms gating blocks' energies (album gain pools an album's).
    public var gatingBlocks: [Float]
    /// Chromaprint, base64 (AcoustID's form).
    public var fingerprint: String?
    /// Chromaprint's raw items (duplicates compare these).
    public var rawFingerprint: [UInt32]
    /// The feature vector (Sources/Analysis/README.md defines each value).
    public var features: [Double]
    public var energy: Double?
    public var danceability: Double?
    public var electronic: Double?
    public var brightness: Double?

    /// A row with only the identity filled in (the caller sets what it found).
    public init(uid: TrackUID, analyzerVersion: Int, status: Status, reason: String? = nil, fileSize: Int64, fileMtimeNs: Int64,
                analyzedAt: Double = Date().timeIntervalSince1970, seconds: Double = 0) {
        self.uid = uid
        self.analyzerVersion = analyzerVersion
        self.status = status
        self.reason = reason
        self.fileSize = fileSize
        self.fileMtimeNs = fileMtimeNs
        self.analyzedAt = analyzedAt
        self.seconds = seconds
        gatingBlocks = []
        rawFingerprint = []
        features = []
    }
}

/// A track waiting for analysis: which file to read and its identity when queued.
public struct AnalysisWork: Sendable, Equatable {
    /// The track's row id (the queue's order and cursor).
    public var trackID: Int64
    public var uid: TrackUID
    /// The file to decode (the track's first file on an online root).
    public var path: RawPath
    public var fileSize: Int64
    public var fileMtimeNs: Int64
}

/// How far the analysis of the library is, for a given analyzer version.
public struct AnalysisCounts: Sendable, Equatable, Codable {
    /// Tracks of the library with a current, successful analysis.
    public var done: Int
    /// Tracks waiting (never analysed, stale version, asked again, or failed and changed since).
    public var queued: Int
    /// Tracks whose file could not be decoded (and has not changed since).
    public var failed: Int

    public init(done: Int, queued: Int, failed: Int) {
        self.done = done
        self.queued = queued
        self.failed = failed
    }
}

/// The analysis queue and its results. The queue is not a table of its own: it is every track
/// whose `trackAnalysis` row is missing, stale, asked for again, or failed on a file that has
/// changed since, so it survives restarts and follows scans without being written to.
/// All synchronous and blocking; safe from any thread.
extension Library {
    /// The tracks that need analysing, from `SQL` below, with `:version` and a cursor.
    private static let pendingFilter = """
        FROM track
        JOIN file ON file.id = (SELECT f.id FROM file f JOIN root r ON r.id = f.rootId
                                WHERE f.trackId = track.id AND r.online = 1 ORDER BY f.id LIMIT 1)
        JOIN root ON root.id = file.rootId
        LEFT JOIN trackAnalysis a ON a.uid = track.uid
        WHERE (a.uid IS NULL OR a.requested = 1 OR a.analyzerVersion != :version
               OR (a.status = 'failed' AND (a.fileSize != file.size OR a.fileMtimeNs != file.mtimeNs)))
        """

    /// Up to `limit` tracks waiting for analysis by an analyzer of `version`, in track order,
    /// after the track row `after` (a cursor, so work in flight is not handed out twice).
    public func pendingAnalysis(version: Int, after: Int64 = 0, limit: Int = 256) throws(StoreError) -> [AnalysisWork] {
        try read("finding tracks to analyse") { db in
            try Row.fetchAll(db, sql: "SELECT track.id, track.uid, root.path, file.relPath, file.size, file.mtimeNs "
                             + Self.pendingFilter + " AND track.id > :after ORDER BY track.id LIMIT :limit",
                             arguments: ["version": version, "after": after, "limit": limit]).map { row in
                let root = RawPath(bytes: [UInt8](row[2] as Data))
                return AnalysisWork(trackID: row[0], uid: TrackUID(rawValue: row[1]),
                                    path: root.appending(RawPath(bytes: [UInt8](row[3] as Data))),
                                    fileSize: row[4], fileMtimeNs: row[5])
            }
        }
    }

    /// Done, queued and failed tracks for an analyzer of `version` (tracks of the library only;
    /// a track without an online file is in none).
    public func analysisCounts(version: Int) throws(StoreError) -> AnalysisCounts {
        try read("counting analysed tracks") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM trackAnalysis a JOIN track ON track.uid = a.uid
                         WHERE a.analyzerVersion = :version AND a.requested = 0 AND a.status = 'done'),
                       (SELECT count(*) \(Self.pendingFilter)),
                       (SELECT count(*) FROM trackAnalysis a JOIN track ON track.uid = a.uid
                         WHERE a.analyzerVersion = :version AND a.requested = 0 AND a.status = 'failed')
                """, arguments: ["version": version])
            // A failed track whose file changed is queued, not failed.
            let queued: Int = row?[1] ?? 0
            let failedChanged = try Int.fetchOne(db, sql: "SELECT count(*) " + Self.pendingFilter + " AND a.status = 'failed' AND a.analyzerVersion = :version AND a.requested = 0",
                                                 arguments: ["version": version]) ?? 0
            return AnalysisCounts(done: row?[0] ?? 0, queued: queued, failed: (row?[2] ?? 0) - failedChanged)
        }
    }

    /// Stores (replacing) a track's analysis; clears an "analyse again" request.
    public func recordAnalysis(_ a: StoredAnalysis) throws(StoreError) {
        try write("recording an analysis") { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO trackAnalysis (uid, analyzerVersion, status, reason, fileSize, fileMtimeNs, requested,
                    analyzedAt, seconds, durationSeconds, bpm, bpmConfidence, beatOffsetMs, bpmAlternative, keyTonic, keyMinor,
                    camelot, keyConfidence, tuningCents, loudnessLufs, loudnessRangeLu, truePeakDbtp, samplePeakDbfs,
                    replayGainDb, gatingBlocks, fingerprint, rawFingerprint, features, energy, danceability, electronic, brightness)
                VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    a.uid.rawValue, a.analyzerVersion, a.status.rawValue, a.reason, a.fileSize, a.fileMtimeNs,
                    a.analyzedAt, a.seconds, a.durationSeconds, a.bpm, a.bpmConfidence, a.beatOffsetMs, a.bpmAlternative,
                    a.keyTonic, a.keyMinor, a.camelot, a.keyConfidence, a.tuningCents, a.loudnessLufs, a.loudnessRangeLu,
                    a.truePeakDbtp, a.samplePeakDbfs, a.replayGainDb, AnalysisBlob.data(a.gatingBlocks), a.fingerprint,
                    AnalysisBlob.data(a.rawFingerprint), AnalysisBlob.data(a.features),
                    a.energy, a.danceability, a.electronic, a.brightness,
                ])
        }
    }

    /// Queues the track `uid` again ("Analyse again"), keeping its current values until then.
    ///
    /// - Returns: false when the library has no such track.
    public func requestAnalysis(of uid: TrackUID) throws(StoreError) -> Bool {
        try write("asking for an analysis") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM track WHERE uid = ?", arguments: [uid.rawValue]) != nil else { return false }
            try db.execute(sql: "UPDATE trackAnalysis SET requested = 1 WHERE uid = ?", arguments: [uid.rawValue])
            return true
        }
    }

    /// The stored analysis of `uid` (of any version), or nil.
    public func analysis(of uid: TrackUID) throws(StoreError) -> StoredAnalysis? {
        try read("reading an analysis") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM trackAnalysis WHERE uid = ?", arguments: [uid.rawValue]).map(Self.storedAnalysis)
        }
    }

    /// Whether `uid` is waiting for analysis by an analyzer of `version`.
    public func isAnalysisPending(_ uid: TrackUID, version: Int) throws(StoreError) -> Bool {
        try read("checking the analysis queue") { db in
            try Bool.fetchOne(db, sql: "SELECT 1 " + Self.pendingFilter + " AND track.uid = :uid",
                              arguments: ["version": version, "uid": uid.rawValue]) != nil
        }
    }

    static func storedAnalysis(_ row: Row) -> StoredAnalysis {
        var a = StoredAnalysis(uid: TrackUID(rawValue: row["uid"]), analyzerVersion: row["analyzerVersion"],
                               status: StoredAnalysis.Status(rawValue: row["status"]) ?? .failed, reason: row["reason"],
                               fileSize: row["fileSize"], fileMtimeNs: row["fileMtimeNs"],
                               analyzedAt: row["analyzedAt"], seconds: row["seconds"])
        a.durationSeconds = row["durationSeconds"]
        a.bpm = row["bpm"]
        a.bpmConfidence = row["bpmConfidence"]
        a.beatOffsetMs = row["beatOffsetMs"]
        a.bpmAlternative = row["bpmAlternative"]
        a.keyTonic = row["keyTonic"]
        a.keyMinor = row["keyMinor"]
        a.camelot = row["camelot"]
        a.keyConfidence = row["keyConfidence"]
        a.tuningCents = row["tuningCents"]
        a.loudnessLufs = row["loudnessLufs"]
        a.loudnessRangeLu = row["loudnessRangeLu"]
        a.truePeakDbtp = row["truePeakDbtp"]
        a.samplePeakDbfs = row["samplePeakDbfs"]
        a.replayGainDb = row["replayGainDb"]
        a.gatingBlocks = AnalysisBlob.values(row["gatingBlocks"])
        a.fingerprint = row["fingerprint"]
        a.rawFingerprint = AnalysisBlob.values(row["rawFingerprint"])
        a.features = AnalysisBlob.values(row["features"])
        a.energy = row["energy"]
        a.danceability = row["danceability"]
        a.electronic = row["electronic"]
        a.brightness = row["brightness"]
        return a
    }
}

/// Arrays of fixed-width numbers as little-endian BLOBs (compact, and read back without parsing).
enum AnalysisBlob {
    static func data<T: FixedWidthInteger>(_ values: [T]) -> Data? {
        values.isEmpty ? nil : values.map(\.littleEndian).withUnsafeBytes { Data($0) }
    }

    static func data(_ values: [Float]) -> Data? { data(values.map(\.bitPattern)) }
    static func data(_ values: [Double]) -> Data? { data(values.map(\.bitPattern)) }

    static func values<T: FixedWidthInteger>(_ data: Data?) -> [T] {
        guard let data, !data.isEmpty else { return [] }
        let count = data.count / MemoryLayout<T>.size
        return data.withUnsafeBytes { raw in
            (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
    }

    static func values(_ data: Data?) -> [Float] { (values(data) as [UInt32]).map(Float.init(bitPattern:)) }
    static func values(_ data: Data?) -> [Double] { (values(data) as [UInt64]).map(Double.init(bitPattern:)) }
}

extension Library {
    /// The raw fingerprints of the library's tracks analysed by `version` (duplicate search),
    /// with their durations in seconds, in track order.
    public func analysedFingerprints(version: Int) throws(StoreError) -> [(uid: TrackUID, durationSeconds: Double, raw: [UInt32])] {
        try read("reading fingerprints") { db in
            try Row.fetchAll(db, sql: """
                SELECT a.uid, a.durationSeconds, a.rawFingerprint FROM trackAnalysis a JOIN track ON track.uid = a.uid
                WHERE a.analyzerVersion = ? AND a.status = 'done' AND a.rawFingerprint IS NOT NULL ORDER BY track.id
                """, arguments: [version]).map { row in
                (TrackUID(rawValue: row[0]), row[1] ?? 0, AnalysisBlob.values(row[2]) as [UInt32])
            }
        }
    }
}

/// What the player's ReplayGain fallback needs from a track's analysis.
public struct AnalysedLoudness: Sendable, Equatable {
    /// ReplayGain 2.0 track gain, dB.
    public var trackGainDb: Double
    /// The track's true peak, dBTP (nil for silence).
    public var truePeakDbtp: Double?
    /// Every track of its album's gating blocks, when the album has more than this track and
    /// every one of them is analysed; nil otherwise (album gain then falls back to track gain).
    public var albumGatingBlocks: [[Float]]?
    /// The highest true peak of the album's tracks, dBTP.
    public var albumPeakDbtp: Double?
}

extension Library {
    /// The analysed loudness of `uid` and, when all of its album is analysed, the album's gating
    /// blocks; nil when the track has no successful analysis with a loudness.
    public func analysedLoudness(of uid: TrackUID) throws(StoreError) -> AnalysedLoudness? {
        try read("reading an analysed loudness") { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.replayGainDb, a.truePeakDbtp, track.albumId FROM trackAnalysis a JOIN track ON track.uid = a.uid
                WHERE a.uid = ? AND a.status = 'done' AND a.replayGainDb IS NOT NULL
                """, arguments: [uid.rawValue]) else { return nil }
            var result = AnalysedLoudness(trackGainDb: row[0], truePeakDbtp: row[1])
            if let albumId: Int64 = row[2] {
                let album = try Row.fetchAll(db, sql: """
                    SELECT a.status, a.gatingBlocks, a.truePeakDbtp FROM track LEFT JOIN trackAnalysis a ON a.uid = track.uid
                    WHERE track.albumId = ?
                    """, arguments: [albumId])
                if album.count > 1, album.allSatisfy({ ($0[0] as String?) == "done" }) {
                    result.albumGatingBlocks = album.map { AnalysisBlob.values($0[1]) as [Float] }
                    result.albumPeakDbtp = album.compactMap { $0[2] as Double? }.max()
                }
            }
            return result
        }
    }
}
