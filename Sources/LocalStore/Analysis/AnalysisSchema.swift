import GRDB

/// Migration `v10-track-analysis` (decision 0031): what the background analysis found about each
/// track, one row per track uid.
///
/// - `uid`: the track (a rename or move keeps it, so a renamed file is not analysed again; a
///   row outlives its track, so a track that comes back keeps its analysis).
/// - `analyzerVersion`: `TrackAnalyzer.version` when it ran; a row of another version is
///   stale and the track is queued again (its old values stay visible until then).
/// - `status`: `done`, or `failed` with `reason` (a file that cannot be decoded).
/// - `fileSize`, `fileMtimeNs`: the identity of the file that was read. A failed track is
///   retried only when its file's size or mtime differ from these (it changed on disk).
/// - `requested`: 1 when the user asked for it again ("Analyse again"): queued whatever the rest.
/// - Results: tempo, key (tonic 0–11 from C, `keyMinor`, and the Camelot code for search),
///   loudness, the 400 ms gating blocks (Float32 little-endian, for album gain), the Chromaprint
///   fingerprint (base64) and its raw items (UInt32 little-endian, for duplicates), the feature
///   vector (Float64 little-endian) and the four descriptors.
///
/// Derived data: never an operation, never synced (every device analyses its own files).
enum AnalysisSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-track-analysis") { db in
            try db.execute(sql: """
                CREATE TABLE trackAnalysis (
                    uid TEXT NOT NULL PRIMARY KEY,
                    analyzerVersion INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
                    reason TEXT,
                    fileSize INTEGER NOT NULL,
                    fileMtimeNs INTEGER NOT NULL,
                    requested INTEGER NOT NULL DEFAULT 0,
                    analyzedAt REAL NOT NULL,
                    seconds REAL NOT NULL DEFAULT 0,
                    durationSeconds REAL,
                    bpm REAL,
                    bpmConfidence REAL,
                    beatOffsetMs REAL,
                    bpmAlternative REAL,
                    keyTonic INTEGER,
                    keyMinor INTEGER,
                    camelot TEXT,
                    keyConfidence REAL,
                    tuningCents REAL,
                    loudnessLufs REAL,
                    loudnessRangeLu REAL,
                    truePeakDbtp REAL,
                    samplePeakDbfs REAL,
                    replayGainDb REAL,
                    gatingBlocks BLOB,
                    fingerprint TEXT,
                    rawFingerprint BLOB,
                    features BLOB,
                    energy REAL,
                    danceability REAL,
                    electronic REAL,
                    brightness REAL
                );
                CREATE INDEX trackAnalysis_bpm ON trackAnalysis(bpm);
                CREATE INDEX trackAnalysis_camelot ON trackAnalysis(camelot);
                """)
        }
    }
}
