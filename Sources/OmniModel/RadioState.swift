/// The server player's radio (issue 14, decision 0035): whether it keeps the queue topped up
/// with tracks similar to a seed, as every client sees it (`GET /api/player/radio`, the `radio`
/// field of `GET /api/player`, `LibraryEvent.radio`).
public struct RadioState: Sendable, Equatable, Codable {
    /// True while the radio tops up the queue.
    public var active: Bool
    /// The track it started from (kept after it stops, so a client can say what it was; nil
    /// before the first radio of this daemon run).
    public var seed: TrackUID?
    /// How many of the last added tracks are never added again.
    public var window: Int
    /// Tracks it has added to the queue since it started (the seed included).
    public var added: Int

    public init(active: Bool = false, seed: TrackUID? = nil, window: Int = RadioState.defaultWindow, added: Int = 0) {
        self.active = active
        self.seed = seed
        self.window = window
        self.added = added
    }

    /// The contract's window: no track comes back within the last 50 the radio added.
    public static let defaultWindow = 50

    private enum CodingKeys: String, CodingKey { case active, seed, window, added }

    /// Every key present (`seed` null when none), as the API document says.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(active, forKey: .active)
        try c.encode(seed, forKey: .seed)
        try c.encode(window, forKey: .window)
        try c.encode(added, forKey: .added)
    }
}
