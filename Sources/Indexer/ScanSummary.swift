/// What one scan did, printed by `omnisonicd scan --json`.
public struct ScanSummary: Sendable, Equatable, Codable {
    /// Audio files seen under the roots (after skipping hidden and non-audio files).
    public var files: Int = 0
    /// Files new to the library.
    public var added: Int = 0
    /// Files re-probed because they changed.
    public var updated: Int = 0
    /// Files that moved (same inode, new path): path updated, nothing re-probed.
    public var moved: Int = 0
    /// Files gone from disk and removed from the library.
    public var removed: Int = 0
    /// Files that could not be read (corrupt, unreadable); counted and kept as errors.
    public var failed: Int = 0
    /// Files read with warnings (a damaged frame skipped, a tag over its limits, a duration taken
    /// from the stream): their tracks are in the library; the warnings are logged and kept in
    /// the file's row (`probeErrorCode`, `probeError`).
    public var warnings: Int = 0
    /// Files left alone because some process still had them open for writing (a copy in
    /// progress); their close event, or the next scan, indexes them.
    public var busy: Int = 0
    /// Folders and links that could not be walked.
    public var walkErrors: Int = 0
    /// Wall-clock seconds.
    public var seconds: Double = 0

    public init() {}
}
