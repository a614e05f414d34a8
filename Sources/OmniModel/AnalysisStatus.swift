/// How far the background analysis is (`GET /api/analysis`, `omnisonicd status`, `/metrics`).
public struct AnalysisStatus: Sendable, Equatable, Codable {
    /// False when analysis is switched off (`analysis = false`): nothing is analysed.
    public var enabled: Bool
    /// The analyzer version results are current for (`TrackAnalyzer.version`).
    public var analyzerVersion: Int
    /// Tracks with a current analysis.
    public var done: Int
    /// Tracks waiting.
    public var queued: Int
    /// Tracks whose file could not be decoded (retried when the file changes).
    public var failed: Int
    /// True while workers are analysing.
    public var running: Bool
    /// Worker threads (at most cores − 1, at least 1), each at idle CPU priority.
    public var workers: Int
    /// Tracks per second over the current (or last) pass.
    public var rate: Double
    /// Tracks analysed (done or failed) since the daemon started.
    public var analysedSinceStart: Int
    /// Passes through the queue completed since the daemon started (a pass ends when no work
    /// is left; scans and "Analyse again" start another).
    public var passes: Int

    public init(enabled: Bool, analyzerVersion: Int, done: Int = 0, queued: Int = 0, failed: Int = 0, running: Bool = false,
                workers: Int = 0, rate: Double = 0, analysedSinceStart: Int = 0, passes: Int = 0) {
        self.enabled = enabled
        self.analyzerVersion = analyzerVersion
        self.done = done
        self.queued = queued
        self.failed = failed
        self.running = running
        self.workers = workers
        self.rate = rate
        self.analysedSinceStart = analysedSinceStart
        self.passes = passes
    }

    /// The state of a daemon whose analysis is off.
    public static let disabled = AnalysisStatus(enabled: false, analyzerVersion: 0)
}
