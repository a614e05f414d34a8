import Foundation

/// What background scans are doing and how the last one ended: the scan service's state and the
/// body of `GET /api/scan` (and of `/api/status`'s `scan`), one type for both (decision 0025;
/// there were two, converted by hand in `omnisonicd`).
///
/// Encoded as the API document says: times are seconds since 1970 (`lastFinishedAt`,
/// `lastChangeAt`); the service's own bookkeeping (`queued`, `files`, `elapsed`, `startedAt`,
/// `lastSummary`, `lastError`) is not sent.
public struct ScanStatus: Sendable, Equatable, Encodable {
    /// Why the last scan failed.
    public struct Failure: Sendable, Equatable, Codable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// True while a scan runs.
    public var running = false
    /// True when a scan will start after the current one (or is about to start).
    public var queued = false
    /// "idle", "walking", "probing" or "finishing".
    public var phase = "idle"
    /// Files probed so far in this scan, and files to probe.
    public var done = 0
    public var total = 0
    /// Audio files seen on disk by this scan.
    public var files = 0
    /// Files probed per second.
    public var rate: Double = 0
    /// Seconds since the running scan began.
    public var elapsed: Double = 0
    public var startedAt: Date?
    /// When the last scan finished, if any.
    public var finishedAt: Date?
    /// What the last completed scan changed.
    public var lastSummary: ScanSummary?
    /// Partial rescans applied since start (the watcher's batches).
    public var changesApplied = 0
    /// When the last partial rescan finished.
    public var lastChangeAt: Date?
    /// Why the last scan did not complete (nil when it did).
    public var lastError: Failure?
    /// How each music folder is followed live (empty when the daemon does not watch; filled in
    /// by the daemon from its watchers, not by the scan service).
    public var watching: [WatchedFolder] = []

    public init() {}

    /// A status as the API reports it (tests and daemons without a scan service).
    public init(running: Bool, phase: String, done: Int, total: Int, rate: Double, lastFinishedAt: Double? = nil,
                watching: [WatchedFolder] = [], changesApplied: Int = 0, lastChangeAt: Double? = nil) {
        self.running = running
        self.phase = phase
        self.done = done
        self.total = total
        self.rate = rate
        self.finishedAt = lastFinishedAt.map(Date.init(timeIntervalSince1970:))
        self.watching = watching
        self.changesApplied = changesApplied
        self.lastChangeAt = lastChangeAt.map(Date.init(timeIntervalSince1970:))
    }

    private enum CodingKeys: String, CodingKey {
        case running, phase, done, total, rate, lastFinishedAt, watching, changesApplied, lastChangeAt
    }

    /// The API's shape (see the type's comment).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(running, forKey: .running)
        try c.encode(phase, forKey: .phase)
        try c.encode(done, forKey: .done)
        try c.encode(total, forKey: .total)
        try c.encode(rate, forKey: .rate)
        try c.encodeIfPresent(finishedAt?.timeIntervalSince1970, forKey: .lastFinishedAt)
        try c.encode(watching, forKey: .watching)
        try c.encode(changesApplied, forKey: .changesApplied)
        try c.encodeIfPresent(lastChangeAt?.timeIntervalSince1970, forKey: .lastChangeAt)
    }
}

/// How one music folder is followed (`ScanStatus.watching`).
public struct WatchedFolder: Sendable, Equatable, Codable {
    /// The music folder.
    public var path: String
    /// "starting", "watching", "partial" (some folders rescanned periodically instead),
    /// "polling" (no inotify: rescanned periodically), "offline" (missing) or "stopped".
    public var mode: String
    /// Folders watched with inotify.
    public var watchedFolders: Int
    /// What is wrong, in plain words, when something is.
    public var problem: String?

    public init(path: String, mode: String, watchedFolders: Int, problem: String? = nil) {
        self.path = path
        self.mode = mode
        self.watchedFolders = watchedFolders
        self.problem = problem
    }
}
