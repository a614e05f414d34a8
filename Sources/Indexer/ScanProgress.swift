/// Where a running scan is, reported to progress observers (the CLI's bar, later the API).
public struct ScanProgress: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable {
        /// Listing folders and comparing them with the library.
        case walking
        /// Reading tags of new and changed files.
        case probing
        /// Removing what is gone, tidying albums and artwork.
        case finishing
    }

    public var phase: Phase
    /// Files probed so far (in `.probing`).
    public var done: Int
    /// Files to probe in this scan.
    public var total: Int
    /// Files seen on disk so far.
    public var files: Int
    /// Seconds since the scan began.
    public var elapsed: Double

    /// Files probed per second over the probing phase so far.
    public var rate: Double
    /// Estimated seconds left, when it can be estimated.
    public var remaining: Double? {
        guard phase == .probing, rate > 0, total > done else { return nil }
        return Double(total - done) / rate
    }

    public init(phase: Phase, done: Int, total: Int, files: Int, elapsed: Double, rate: Double) {
        self.phase = phase
        self.done = done
        self.total = total
        self.files = files
        self.elapsed = elapsed
        self.rate = rate
    }
}
