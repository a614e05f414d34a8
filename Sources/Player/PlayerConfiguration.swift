import OmniModel

/// How the player is set up; passed in by the daemon (or a test), never read from globals.
public struct PlayerConfiguration: Sendable {
    /// The ALSA device name ("default", "hw:0,0", "plughw:1", a name from `alsaConfiguration`).
    public var output: String
    /// A private ALSA configuration (ALSA's syntax) to find `output` in instead of the system's;
    /// tests use it for a `file` plugin over `null`.
    public var alsaConfiguration: String?
    public var replayGain: ReplayGainMode
    /// Added to the ReplayGain gain, in dB (only when ReplayGain is on).
    public var preAmpDB: Double
    /// How often the position is saved while playing, in seconds.
    public var saveInterval: Double
    /// Called on the output thread after every write to the device, with the frames written
    /// and the entry they belong to. For tests and benchmarks: it runs in the audio path, so it
    /// must be quick.
    public var onWrite: (@Sendable (_ frames: Int, _ entry: QueueEntryID) -> Void)?
    /// ReplayGain values measured by the analysis, for tracks whose files carry no gain tags
    /// (the daemon passes `AnalysedGain.lookup`; nil: tags only). Called on the player's thread
    /// when a track opens, and only when ReplayGain is on; may block briefly (a library read).
    public var analysedGain: (@Sendable (TrackUID) -> ReplayGain?)?

    public init(output: String = "default", alsaConfiguration: String? = nil, replayGain: ReplayGainMode = .off,
                preAmpDB: Double = 0, saveInterval: Double = 5,
                onWrite: (@Sendable (_ frames: Int, _ entry: QueueEntryID) -> Void)? = nil,
                analysedGain: (@Sendable (TrackUID) -> ReplayGain?)? = nil) {
        self.analysedGain = analysedGain
        self.output = output
        self.alsaConfiguration = alsaConfiguration
        self.replayGain = replayGain
        self.preAmpDB = preAmpDB
        self.saveInterval = saveInterval
        self.onWrite = onWrite
    }
}

/// A queue entry's id (`QueueEntry.id`).
public typealias QueueEntryID = Int64
