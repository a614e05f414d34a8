/// Something that changed in the daemon, for live clients (`GET /api/events`, Server-Sent Events).
///
/// Producers (the scan service, the one write path for user changes, later the player and the
/// sync client) publish these values; the web layer fans them out. Encoded as JSON with a
/// `type` discriminator so a browser can `switch` on it.
public enum LibraryEvent: Sendable, Equatable, Codable {
    /// Scan progress: phase ("walking", "probing", "finishing", "idle"), files done and to do,
    /// files per second.
    case scan(phase: String, done: Int, total: Int, rate: Double)
    /// A scan finished: what it changed.
    case scanFinished(added: Int, updated: Int, moved: Int, removed: Int, failed: Int, seconds: Double)
    /// Tracks whose data (tags, overrides, user state) changed, by uid.
    case tracksChanged(uids: [TrackUID])
    /// Tracks that left the library.
    case tracksRemoved(uids: [TrackUID])
    /// A playlist was created, renamed, reordered or had items added or removed.
    case playlistChanged(id: String)
    /// A playlist was deleted.
    case playlistDeleted(id: String)
    /// A saved search was created, changed or deleted.
    case savedSearchesChanged

    /// The SSE `event:` name of this event.
    public var name: String {
        switch self {
        case .scan: "scan"
        case .scanFinished: "scanFinished"
        case .tracksChanged: "tracksChanged"
        case .tracksRemoved: "tracksRemoved"
        case .playlistChanged: "playlistChanged"
        case .playlistDeleted: "playlistDeleted"
        case .savedSearchesChanged: "savedSearchesChanged"
        }
    }
}
